package detect

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/types"
)

// Texts for the hold-back tests: ordinary prose, code, CJK, and texts made
// to stress each detector's notion of "not finished yet".
var (
	proseText = "Sure! Here is how you sort a list in Python: use the built-in sorted() function, which returns a new list, " +
		"or call list.sort() to sort in place. For example, sorted([3, 1, 2]) returns [1, 2, 3]. You can pass key=len to " +
		"sort by length, and reverse=True for descending order. The secret to readable code is small functions; the " +
		"token count matters less than clarity. Access control, authentication and API design come next. In 2024 revenue " +
		"grew by 12% while costs stayed flat, and the team in London shipped version 3.2 of the app. "
	codeText = "```python\nimport os\nimport requests\n\nAPI_KEY = os.environ[\"API_KEY\"]\n" +
		"headers = {\"Authorization\": f\"Bearer {API_KEY}\"}\n" +
		"resp = requests.get(\"https://api.example.com/v1/items\", headers=headers, timeout=10)\n" +
		"for item in resp.json()[\"items\"]:\n    print(item[\"id\"], item[\"name\"])\n```\n" +
		"Run it with `python main.py`, or test the endpoint with curl:\n\n```sh\n" +
		"curl -s https://api.example.com/v1/items \\\n  -H \"Accept: application/json\"\n```\n"
	cjkText = "当然！下面是在Python中对列表进行排序的方法：使用内置的sorted()函数，它会返回一个新列表；或者调用list.sort()就地排序。" +
		"例如，sorted([3, 1, 2])返回[1, 2, 3]。如有问题，请发邮件至张伟@例子.广告或support@example.com。" +
		"日本語の文章も同じように処理されます。これは句読点のない長い文章の例ですがそれでも段階的に公開されるべきです" +
		"東京都の担当者に連絡してください、電話番号は+81 3-1234-5678です。"
)

// trickyTexts put findings (and near misses) where a stream is most
// likely to release part of them too early.
var trickyTexts = []string{
	"Call me at +44 20 7946 0958 ext. 12 or (415) 555-2671x9. Card: 4111 1111 1111 1111, SSN: 123-45-6789. Table: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23.",
	"Wire to GB82 WEST 1234 5698 7654 32 or DE89370400440532013000; host fe80::1ff:fe23:4567:890a and 2001:db8::8a2e:370:7334, v4 192.168.1.20.",
	"curl -s https://api.example.com/v1/x \\\n  -H \"Content-Type: application/json\" \\\n  -H \"Authorization: Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dcXyZ\" \\\n  -d '{}'\nthen curl -u admin:S3cr3tPassw0rd https://h.example.org/ ok",
	"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: c3VwZXJzZWNyZXRwYXNzd29yZA==\n  user: YWRtaW4=\ntype: Opaque\n",
	"The config says api_key = \"a8f5f167f44f4964e6c998dee827110c\" and password: Tr0ub4dor&3xyz; the token, which is short, expires.",
	"export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\ngh: ghp_R8kq2Lm9Xw3Zt7Vb1Nc5Hd0Jf4Gp6Ys8Qe2A done",
	"slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx and token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U then",
	"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF\n\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm\n-----END RSA PRIVATE KEY-----\nthanks",
	"Mail jane.doe@mail-host.org, ops+alerts@corp.co.uk or 用户@例子.广告；见 https://bob:hunter2x@db.example.com:5432/app and git@github.com:org/repo.git",
	"fb 123456789012345|abcdefghijklmnopqrstuvwxyzABCD here and facebook later; sha 4f2b8c9d0e1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c then sourcegraph; pat1234567890ABCD.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef for airtable",
	"O'Brien and Jean-Luc met Dr. Alice Smith in Paris, then Mr Bob Jones of Acme Corp at 10 Downing Street, London.",
}

// holds streams text one byte at a time and returns the bytes held back
// after each byte and after each byte that is a space.
func holds(t testing.TB, d *Detector, text string) (all, afterSpace []int, s *Stream) {
	t.Helper()
	s = d.NewStream()
	for i := 0; i < len(text); i++ {
		if _, _, err := s.Push(context.Background(), text[i:i+1], false); err != nil {
			t.Fatal(err)
		}
		all = append(all, s.Pending())
		if text[i] == ' ' {
			afterSpace = append(afterSpace, s.Pending())
		}
	}
	return all, afterSpace, s
}

func quantiles(xs []int) (p50, p99, mx int) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(xs)
	sort.Ints(s)
	return s[len(s)/2], s[min(len(s)-1, len(s)*99/100)], s[len(s)-1]
}

// TestHoldBackSmall: prose is released up to its last word (at most 32
// bytes held after a space; a bit more around an e-mail address), code and
// CJK text a line or a clause at a time, never the whole detector window.
func TestHoldBackSmall(t *testing.T) {
	t.Run("rules", func(t *testing.T) { holdBackSmall(t, newRuleDetector(t), 32, 72) })
	// With names, the two words before a capitalised word to come and a
	// CJK clause (one token to the tagger) are held too.
	t.Run("ner", func(t *testing.T) { holdBackSmall(t, newNERDetector(t), 40, 192) })
}

func holdBackSmall(t *testing.T, d *Detector, proseMax, cjkMax int) {
	for _, c := range []struct {
		name            string
		text            string
		maxSpace, maxAt int
	}{
		{"prose", strings.Repeat(proseText, 3), proseMax, 48},
		{"code", strings.Repeat(codeText, 3), 40, 64},
		{"cjk", strings.Repeat(cjkText, map[bool]int{false: 20, true: 6}[raceEnabled || testing.Short()]), 0, cjkMax},
	} {
		all, sp, s := holds(t, d, c.text)
		a50, a99, amax := quantiles(all)
		s50, s99, smax := quantiles(sp)
		t.Logf("%-5s %6d bytes: held p50 %d p99 %d max %d; after a space p50 %d p99 %d max %d (MaxMatch %d)", c.name, len(c.text), a50, a99, amax, s50, s99, smax, d.MaxMatch())
		if s.Straddled != 0 {
			t.Errorf("%s: %d findings started in released text", c.name, s.Straddled)
		}
		if c.maxSpace > 0 && smax > c.maxSpace {
			t.Errorf("%s: %d bytes held after a space, want <= %d", c.name, smax, c.maxSpace)
		}
		if amax > c.maxAt {
			t.Errorf("%s: %d bytes held, want <= %d", c.name, amax, c.maxAt)
		}
	}
}

// TestHoldBackCJKLong: a long CJK answer without ASCII white space streams
// in 1-byte chunks without piling up (the filter's bound is 4 KiB), and
// the findings are those of the whole text.
func TestHoldBackCJKLong(t *testing.T) {
	d := newRuleDetector(t)
	reps := 40 // ~16 KB
	if raceEnabled || testing.Short() {
		reps = 12 // over the filter's 4 KiB bound still
	}
	text := strings.Repeat(cjkText, reps)
	whole, _ := d.Detect(context.Background(), text)
	got, fs, s := streamFindings(t, d, split(text, nil, true))
	if got != text {
		t.Fatal("stream changed the text")
	}
	if a, b := keysOf(text, whole), keysOf(text, fs); strings.Join(a, "|") != strings.Join(b, "|") {
		t.Fatalf("whole %v\nstream %v", a, b)
	}
	if s.Straddled != 0 {
		t.Fatalf("%d findings started in released text", s.Straddled)
	}
	all, _, _ := holds(t, d, text)
	if _, _, mx := quantiles(all); mx > 128 {
		t.Fatalf("held up to %d bytes of CJK text", mx)
	}
}

// TestHoldBackProximity: a rule that reads "within n bytes" as
// (?s:.){0,n}? (kubernetes-secret-yaml: a key and value after "data:",
// "kind: Secret" within 200 bytes) holds the text after "data:" until
// that window closes, not for the rule's whole reach; the findings are
// those of the whole text.
func TestHoldBackProximity(t *testing.T) {
	d := newRuleDetector(t)
	prose := strings.Repeat("Then apply it with kubectl apply -f and check the pod logs for errors. ", 20)
	for _, c := range []struct {
		name string
		text string
		max  int
	}{
		{"configmap", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  config_path: /etc/app/config.yaml\n  log_level: debug\n" + prose, 320},
		{"secret", trickyTexts[3] + prose, 320},
		{"sse", "Each event is a line like data: {\"delta\": \"Hello\"} and a blank line; the client reads data: lines until done. " + prose, 320},
	} {
		all, _, s := holds(t, d, c.text)
		_, _, mx := quantiles(all)
		t.Logf("%-9s %d bytes: held up to %d", c.name, len(c.text), mx)
		if mx > c.max {
			t.Errorf("%s: held up to %d bytes, want <= %d", c.name, mx, c.max)
		}
		if s.Straddled != 0 {
			t.Errorf("%s: %d findings started in released text", c.name, s.Straddled)
		}
		whole, _ := d.Detect(context.Background(), c.text)
		got, fs, _ := streamFindings(t, d, split(c.text, nil, true))
		if got != c.text {
			t.Fatal("stream changed the text")
		}
		if a, b := keysOf(c.text, whole), keysOf(c.text, fs); strings.Join(a, "|") != strings.Join(b, "|") {
			t.Errorf("%s: whole %v\nstream %v", c.name, a, b)
		}
	}
}

// continuations are texts appended to a prefix to try to complete, extend
// or spoil a match that begins in it.
var continuations = []string{
	"", " ", ".", "\n", "@example.com ", "@ex", "example.com", ".org ", "1", "123 4567 ", "-4567 ", "0 1234 5678 9012 ",
	"x123 ", " ext. 42 ", "::1 ", ":8080/", "ff:fe23:4567:890a ", "AbCdEf0123456789AbCdEf0123456789zz ",
	"=\"s3cr3tV4lu3xyz9Q\" ", " = 'AKIAIOSFODNN7EXAMPLE' ", "_key: Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5 ", "word: Tr0ub4dor&3xyz; ",
	"-----END RSA PRIVATE KEY-----\n", "Proc-Type: 4,ENCRYPTED\n", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n", "\\nMIIEvQIBADANBgkq\\n",
	"eyJzdWIiOiIxIn0.c2lnbmF0dXJl ", ".c2lnbmF0dXJl ", "user:pass@host/", "@db.example.com/x ", "p_R8kq2Lm9Xw3Zt7Vb1Nc5Hd0Jf4Gp6Ys8Qe2A ",
	"IAIOSFODNN7EXAMPLE ", " facebook ", " sourcegraph ", " airtable ", "82 WEST 1234 5698 7654 32 ", " 1234 5698 7654 32 ", "4 ",
	" -H \"Authorization: Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dcXyZ\" ", "\nkind: Secret\n", "\ndata:\n  pw: c3VwZXJzZWNyZXQ=\n",
	"Smith ", "'Brien ", " Smith of Acme Inc ", "b-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx ",
}

// TestReleasableSound checks Releasable against its contract directly:
// for prefixes of many texts and many continuations, every finding of
// prefix+continuation that starts in the released part is a finding of
// the prefix, unchanged, and the released part's findings all survive.
func TestReleasableSound(t *testing.T) {
	t.Run("rules", func(t *testing.T) {
		texts := append([]string{proseText, codeText, cjkText}, trickyTexts...)
		n := 200
		if raceEnabled || testing.Short() {
			texts, n = texts[3:], 40 // the stress texts and a sample of the dev cases
		}
		for _, c := range readCases(t, positivesFile)[:n] {
			texts = append(texts, "Note: "+c.Text+" end")
		}
		releasableSound(t, newRuleDetector(t), texts, continuations, len(texts)-n)
	})
	t.Run("ner", func(t *testing.T) {
		// Names: every cut of the name-heavy texts, and the continuations
		// that may extend or start one.
		texts := []string{trickyTexts[len(trickyTexts)-1] + " " + proseText[:300], cjkText,
			"Please forward this to Maria Garcia-Lopez, who moved from Madrid to New York City last spring. " + trickyTexts[len(trickyTexts)-1]}
		conts := []string{"", " ", ".", "Smith ", "'Brien ", " Smith of Acme Inc ", "son went home ", " Street, Berlin ", "@example.com "}
		releasableSound(t, newNERDetector(t), texts, conts, len(texts))
	})
}

func releasableSound(t *testing.T, d *Detector, texts, continuations []string, exhaustive int) {
	rng := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	checks := 0
	for ti, text := range texts {
		step, relPrev := 1, 0
		if ti >= exhaustive {
			step = 3 + rng.IntN(5) // the dev cases: a sample of cut points
		}
		for cut := 0; cut <= len(text); cut += step {
			pre := text[:cut]
			fs, r, _ := d.DetectReleasable(ctx, pre, 0, false)
			if r0 := d.Releasable(pre, fs, false); r0 > r {
				t.Fatalf("text %d cut %d: Releasable %d past DetectReleasable %d", ti, cut, r0, r)
			}
			// As a stream calls it: the text up to the previous release
			// point is context, which the name tagger reads only in part.
			if fs2, r2, _ := d.DetectReleasable(ctx, pre, relPrev, false); r2 != r || !slices.Equal(keysAfter(fs2, relPrev), keysAfter(fs, relPrev)) {
				t.Fatalf("text %d cut %d, %d released: release point %d, findings %v; without the cut %d, %v", ti, cut, relPrev, r2, fs2, r, fs)
			}
			relPrev = r
			released := map[string]bool{}
			for _, f := range fs {
				if f.Start < r {
					if f.End > r {
						t.Fatalf("text %d cut %d: release point %d cuts %s [%d,%d)", ti, cut, r, f.Type, f.Start, f.End)
					}
					released[findingKey(f)] = true
				}
			}
			conts := append([]string{text[cut:]}, continuations...)
			for _, cont := range conts {
				if cont == "" && cut < len(text) {
					continue
				}
				full := pre + cont
				got, _ := d.Detect(ctx, full)
				checks++
				seen := map[string]bool{}
				for _, f := range got {
					if f.Start >= r {
						continue
					}
					k := findingKey(f)
					seen[k] = true
					if !released[k] {
						t.Fatalf("text %d cut %d (released %d of %q) + %q: finding %s %q in released text was not in the prefix's findings %v",
							ti, cut, r, pre, cont, f.Type, full[f.Start:f.End], fs)
					}
				}
				for k := range released {
					if !seen[k] {
						t.Fatalf("text %d cut %d (released %d of %q) + %q: released finding %s is gone", ti, cut, r, pre, cont, k)
					}
				}
			}
		}
	}
	t.Logf("%d texts, %d prefix+continuation checks", len(texts), checks)
}

func keysAfter(fs []types.Finding, from int) []string {
	var out []string
	for _, f := range fs {
		if f.End > from {
			out = append(out, findingKey(f))
		}
	}
	return out
}

func findingKey(f types.Finding) string {
	return fmt.Sprintf("%s/%s/%d/%d/%.3f", f.Type, f.Detector, f.Start, f.End, f.Score)
}

// TestStreamMatchesWholeTricky: the stress texts, 1-byte and random
// chunks.
func TestStreamMatchesWholeTricky(t *testing.T) {
	d := newRuleDetector(t)
	r := rand.New(rand.NewPCG(5, 6))
	for i, text := range append(trickyTexts, cjkText, codeText, proseText) {
		whole, _ := d.Detect(context.Background(), text)
		for k := 0; k < 6; k++ {
			streamAgrees(t, d, text, whole, split(text, r, k == 0), fmt.Sprintf("text %d (chunking %d)", i, k))
		}
	}
}

// TestReleaseIndexCompiles: every rule's hold-back matchers build, and
// the lazy DFA agrees with Go's matcher on the prefix languages.
func TestReleaseIndexCompiles(t *testing.T) {
	d := newRuleDetector(t)
	ix := d.secrets.rel
	rng := rand.New(rand.NewPCG(8, 9))
	probes := append([]string{proseText, codeText, cjkText}, trickyTexts...)
	probes = append(probes, continuations...)
	anchorsOf := map[*relBranch][]string{}
	for id, bs := range ix.byAnchor {
		for _, bi := range bs {
			a := ix.anchors[id]
			anchorsOf[ix.branches[bi]] = append(anchorsOf[ix.branches[bi]], a, strings.ToUpper(a))
		}
	}
	glue := []string{"", " = ", ": \"", "=", " ", "_key: ", "-", "_"}
	checked, accepted := 0, 0
	for _, b := range ix.branches {
		b.compile()
		if b.err != nil || b.viable == nil || b.entered == nil {
			t.Fatalf("%s: %v", b.rule.id, b.err)
		}
		px := b.prefixer()
		rest := b.rest
		// A branch whose finding is a capture group must see the groups
		// (the rules that name none report the first non-empty one): with
		// none, ent is empty and a secret that has begun is released.
		if !b.whole && b.group == 0 && !px.has(rest) {
			t.Fatalf("%s: no capture group in the branch's pattern", b.rule.id)
		}
		entRe := px.pre(rest)
		if !b.whole {
			entRe = px.ent(rest)
		}
		pre, err := regexp.Compile(`\A(?:` + reString(px.pre(rest)) + `)\z`)
		if err != nil {
			t.Fatalf("%s: %v", b.rule.id, err)
		}
		ent, err := regexp.Compile(`\A(?:` + reString(entRe) + `)\z`)
		if err != nil {
			t.Fatalf("%s: %v", b.rule.id, err)
		}
		// Texts from each anchor's occurrences in the probes, cut anywhere.
		for k := 0; k < 40; k++ {
			s := probes[rng.IntN(len(probes))]
			i := rng.IntN(len(s) + 1)
			s = runePrefix(s[i:], rng.IntN(120))
			if as := anchorsOf[b]; k%4 != 0 && len(as) > 0 {
				s = as[rng.IntN(len(as))] + glue[rng.IntN(len(glue))] + s
			}
			if got, want := b.viable.accepts(s), pre.MatchString(s); got != want {
				t.Fatalf("%s: DFA says %v, regexp %v on %q", b.rule.id, got, want, s)
			} else if got {
				accepted++
			}
			if got, want := b.entered.accepts(s), ent.MatchString(s); got != want {
				t.Fatalf("%s: entered: DFA says %v, regexp %v on %q", b.rule.id, got, want, s)
			}
			checked++
		}
	}
	t.Logf("%d branches, %d token rules, %d anchors; %d texts checked, %d in a prefix language", len(ix.branches), len(ix.tokens), len(ix.byAnchor), checked, accepted)
}

// TestLazyDFA: the lazily built DFA agrees with Go's matcher, also once
// its cache has filled and started over.
func TestLazyDFA(t *testing.T) {
	defer func(n int) { maxDFAStates = n }(maxDFAStates)
	maxDFAStates = 5 // start over often
	for _, pat := range []string{`(?i)(?:ab|a[^x]){1,12}x?[0-9]{2,}|z*`, `(?:[\w.-]{0,20})[\s'"]{0,3}(?:=|:{1,3}=|,)\s*([a-z0-9+/]{8,})`, `日本.語|\p{Han}+x`} {
		re, err := syntax.Parse(pat, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		d, err := newLazyDFA(re)
		if err != nil {
			t.Fatal(err)
		}
		std := regexp.MustCompile(`\A(?:` + pat + `)\z`)
		rng := rand.New(rand.NewPCG(1, uint64(len(pat))))
		alphabet := []string{"a", "b", "A", "x", "0", "9", "=", ":", " ", "'", "z", "日", "本", "語", "漢", ",", "k"}
		for i := 0; i < 20000; i++ {
			var b strings.Builder
			for k := rng.IntN(24); k > 0; k-- {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			s := b.String()
			if got, want := d.accepts(s), std.MatchString(s); got != want {
				t.Fatalf("%s on %q: DFA %v, regexp %v", pat, s, got, want)
			}
		}
		t.Logf("%s: %d DFA states cached", pat, len(d.st))
	}
}
