package web

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/review/store"
)

type auditRow struct {
	store.AuditEntry
	// Incident is set when the target is an incident.
	Incident bool
}

type auditPage struct {
	Rows      []auditRow
	OlderURL  string
	Verified  bool
	VerifyErr string
	Entries   int64
	Today     string
}

var incidentActions = map[string]bool{"claim": true, "release": true, "verdict": true, "reveal": true}

// audit shows the audit log, newest first; ?verify=1 walks the chain
// (read-only).
func (u *UI) audit(c *gin.Context) {
	ctx := c.Request.Context()
	var before int64
	if v := c.Query("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			u.fail(c, http.StatusBadRequest, "invalid_filter", "Bad audit log position.")
			return
		}
		before = n
	}
	const per = 100
	es, err := u.st.AuditRecent(ctx, before, per)
	if err != nil {
		u.internal(c, "reading the audit log", err)
		return
	}
	ap := auditPage{Today: u.now().UTC().Format("2006-01-02")}
	for _, e := range es {
		ap.Rows = append(ap.Rows, auditRow{AuditEntry: e, Incident: incidentActions[e.Action]})
	}
	if len(es) == per && es[len(es)-1].Seq > 1 {
		ap.OlderURL = "/review/audit?before=" + strconv.FormatInt(es[len(es)-1].Seq, 10)
	}
	if c.Query("verify") == "1" {
		n, err := u.st.VerifyAudit(ctx)
		ap.Verified, ap.Entries = true, n
		if err != nil {
			ap.VerifyErr = err.Error()
		}
	}
	u.render(c, http.StatusOK, "audit", view{Title: "Audit log", Nav: "audit", Page: ap})
}

func parseDay(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}

// export streams the labels (verdicts as JSONL training data), after
// auditing the export: no audit entry, no export.
func (u *UI) export(c *gin.Context) {
	since, ok1 := parseDay(c.PostForm("since"))
	until, ok2 := parseDay(c.PostForm("until"))
	tenant := strings.TrimSpace(c.PostForm("tenant"))
	if !ok1 || !ok2 || len(tenant) > 256 || !utf8.ValidString(tenant) {
		u.fail(c, http.StatusBadRequest, "invalid_filter", "Dates are YYYY-MM-DD; the tenant at most 256 bytes of valid text.")
		return
	}
	if !until.IsZero() {
		until = until.Add(24 * time.Hour) // inclusive day
	}
	ctx := c.Request.Context()
	p := me(c)
	if err := u.st.Audit(ctx, p.User, "export", "labels", map[string]any{"since": c.PostForm("since"), "until": c.PostForm("until"), "tenant": tenant, "via": "web"}); err != nil {
		u.internal(c, "auditing an export", err)
		return
	}
	c.Header("Content-Type", "application/x-ndjson")
	c.Header("Content-Disposition", `attachment; filename="warden-labels-`+u.now().UTC().Format("20060102-150405")+`.jsonl"`)
	c.Status(http.StatusOK)
	bw := bufio.NewWriter(c.Writer)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(true)
	n := 0
	err := u.st.Labels(ctx, store.LabelQuery{Since: since, Until: until, Tenant: tenant}, func(l store.Label) error {
		n++
		return enc.Encode(l)
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		// Headers are gone: the truncated download is all we can signal.
		u.log.Error("exporting labels", "err", err, "labels", n)
		return
	}
	u.log.Info("labels exported", "user", p.User, "labels", n)
}
