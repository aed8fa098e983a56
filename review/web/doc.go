// Package web is the reviewer web UI under /review/: the queue of
// incidents (filters, counts, keyset paging), an incident's page (redacted
// text with findings highlighted, scores, reasons, sealed prompt context
// revealed on request and audited), claims with a lease, verdicts (one or
// in bulk), a dashboard of server-rendered SVG charts, the audit log and
// the label export.
//
// Security model: accounts with roles (viewer < reviewer < admin) and
// server-side sessions in the review store (HttpOnly, Secure, SameSite
// cookies; a new id at every login; idle and absolute timeouts; logout
// deletes the session); argon2id password hashes; login throttling per
// account and per client address; optionally, identities asserted by a
// trusted authenticating proxy. Every route has a declarative minimum role
// (routes), checked by one middleware that denies routes without a rule.
// State changes only on POST, behind a same-origin check (Sec-Fetch-Site /
// Origin) and a synchronizer CSRF token. Pages carry a Content Security
// Policy without 'unsafe-inline' (scripts and styles are embedded files),
// and untrusted text is only ever rendered as text by html/template.
package web
