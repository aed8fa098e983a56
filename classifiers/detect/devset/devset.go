// Package devset generates Warden's development set for the PII and secret
// detectors: values of every supported type in many formats, embedded in
// many contexts (prompts, JSON, CSV, logs, code), and benign look-alikes
// (order numbers, ISBNs, invalid-Luhn card-like numbers, version strings,
// dates, example.com hosts, hashes, UUIDs, prices). It is seeded and
// deterministic; the cases are written to classifiers/detect/testdata by
// `go test ./classifiers/detect -run TestDevSetFiles -update` and read by
// the quality test and by bench/pii. Nothing here is copied from a data
// set: values are random and valid by construction (Luhn, mod 97, ranges).
package devset

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Case is one text of the development set.
type Case struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	// Type is the finding type expected over [Start, End); "" for a
	// look-alike, where no finding is expected at all.
	Type  string `json:"type,omitempty"`
	Class string `json:"class,omitempty"`
	Start int    `json:"start,omitempty"`
	End   int    `json:"end,omitempty"`
	// Format is the variant of the value ("spaced", "intl_compact", ...);
	// Context the template around it.
	Format  string `json:"format"`
	Context string `json:"context"`
	// Canonical marks the formats the recall target applies to.
	Canonical bool `json:"canonical,omitempty"`
}

// Seed is the seed the committed files are generated with.
const Seed = 20261127

// PerFormat is how many cases each (type, format) gets.
const PerFormat = 30

type gen struct {
	r     *rand.Rand
	cases []Case
	n     int
}

func (g *gen) intn(n int) int { return g.r.IntN(n) }

func (g *gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.intn(10))
	}
	return string(b)
}

func (g *gen) pick(xs ...string) string { return xs[g.intn(len(xs))] }

const (
	alnum   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upper32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	hexLow  = "0123456789abcdef"
	lowers  = "abcdefghijklmnopqrstuvwxyz"
)

func (g *gen) from(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.intn(len(alphabet))]
	}
	return string(b)
}

// piiContexts embed a value; %s is the value, %[2]s a label for it.
var piiContexts = []struct{ name, tmpl string }{
	{"prompt", "Hi, my %[2]s is %[1]s. Can you help me update my account?"},
	{"sentence_end", "Please use %[1]s."},
	{"json", `{"user": {"%[2]s": "%[1]s", "active": true}}`},
	{"csv", "name,%[2]s,city\nJ. Doe,%[1]s,Springfield\n"},
	{"parens", "The value (%[1]s) was rejected by the form."},
	{"log", "2024-05-01T10:00:00Z INFO request user_%[2]s=%[1]s status=200"},
	{"markdown", "| field | value |\n|---|---|\n| %[2]s | %[1]s |"},
	{"line_start", "%[1]s\nis what I typed in the form"},
	{"quoted", `She wrote '%[1]s' on the back of the envelope.`},
	{"email_body", "Dear support,\n\nplease note my %[2]s: %[1]s\n\nThanks,\nSam"},
}

// secretContexts embed a credential; %[2]s is a variable name.
var secretContexts = []struct{ name, tmpl string }{
	{"env", "%[2]s=%[1]s\nDEBUG=false"},
	{"json", `{"%[2]s": "%[1]s", "region": "eu-west-1"}`},
	{"yaml", "service:\n  %[2]s: %[1]s\n  retries: 3"},
	{"prose", "I pasted my key %[1]s into the config and it fails, why?"},
	{"code", `client = Client(%[2]s="%[1]s")`},
	{"shell", "export %[2]s='%[1]s'"},
}

func (g *gen) add(typ, class, format string, canonical bool, value, label string, secret bool) {
	var name, tmpl string
	if secret {
		c := secretContexts[g.intn(len(secretContexts))]
		name, tmpl = c.name, c.tmpl
	} else {
		c := piiContexts[g.intn(len(piiContexts))]
		name, tmpl = c.name, c.tmpl
	}
	text := fmt.Sprintf(tmpl, value, label)
	start := strings.Index(text, value)
	g.n++
	g.cases = append(g.cases, Case{
		ID: fmt.Sprintf("%s/%s/%03d", strings.ToLower(typ), format, g.n), Text: text, Type: typ, Class: class,
		Start: start, End: start + len(value), Format: format, Context: name, Canonical: canonical,
	})
}

// Positives returns the positive cases.
func Positives(seed uint64) []Case {
	g := &gen{r: rand.New(rand.NewPCG(seed, 1))}
	g.emails()
	g.phones()
	g.cards()
	g.ibans()
	g.ssns()
	g.ips()
	g.urlCreds()
	g.jwts()
	g.privateKeys()
	g.secrets()
	return g.cases
}

func (g *gen) emails() {
	first := []string{"john", "maria", "li", "oluwaseun", "anna-lena", "o.brien", "k", "jp"}
	last := []string{"smith", "garcia", "wang", "okafor", "muller", "dubois", "nguyen", "rossi"}
	dom := []string{"gmail.com", "example.org", "mail.co.uk", "company.io", "uni-heidelberg.de", "sub.mail.example.net", "outlook.fr", "corp.com.au"}
	formats := []struct {
		name string
		f    func() string
	}{
		{"first.last", func() string { return g.pick(first...) + "." + g.pick(last...) + "@" + g.pick(dom...) }},
		{"plus_tag", func() string { return g.pick(first...) + "+" + g.pick("news", "shop", "2024") + "@" + g.pick(dom...) }},
		{"digits", func() string { return g.pick(first...) + g.digits(2+g.intn(3)) + "@" + g.pick(dom...) }},
		{"underscore", func() string { return g.pick(first...) + "_" + g.pick(last...) + "@" + g.pick(dom...) }},
		{"uppercase", func() string {
			return strings.ToUpper(g.pick(first...)[:1]) + g.pick(last...) + "@" + strings.ToUpper(g.pick(dom...))
		}},
	}
	for _, f := range formats {
		for i := 0; i < PerFormat; i++ {
			g.add("EMAIL", "pii", f.name, true, f.f(), "email", false)
		}
	}
	for i := 0; i < PerFormat; i++ {
		v := g.pick(first...) + "@" + g.pick(dom...)
		text := fmt.Sprintf("Contact: <%s>", v)
		if i%2 == 1 {
			text = fmt.Sprintf("[mail me](mailto:%s)", v)
		}
		s := strings.Index(text, v)
		g.n++
		g.cases = append(g.cases, Case{ID: fmt.Sprintf("email/wrapped/%03d", g.n), Text: text, Type: "EMAIL", Class: "pii", Start: s, End: s + len(v), Format: "wrapped", Context: "markup", Canonical: true})
	}
}

// phoneRegion generates valid national significant numbers for a region.
type phoneRegion struct {
	region, cc string
	nsn        func(g *gen) string
	// groups splits the NSN for display.
	groups []int
	trunk  string
}

var phoneRegions = []phoneRegion{
	{"US", "1", func(g *gen) string {
		return g.pick("212", "415", "646", "312", "617", "206", "303", "512", "702", "919") + fmt.Sprint(2+g.intn(8)) + g.digits(2) + g.digits(4)
	}, []int{3, 3, 4}, ""},
	{"GB", "44", func(g *gen) string {
		return g.pick("20 7"+g.digits(3)+" "+g.digits(4), "7"+g.pick("4", "5", "7", "8", "9")+g.digits(2)+" "+g.digits(6), "161 "+g.digits(3)+" "+g.digits(4))
	}, nil, "0"},
	{"DE", "49", func(g *gen) string {
		return g.pick("30 "+fmt.Sprint(2+g.intn(7))+g.digits(6), "89 "+fmt.Sprint(2+g.intn(7))+g.digits(6), "151 "+g.digits(8), "170 "+g.digits(7))
	}, nil, "0"},
	{"FR", "33", func(g *gen) string {
		d := fmt.Sprint(1 + g.intn(7))
		if d == "5" {
			d = "6"
		}
		return d + " " + g.digits(2) + " " + g.digits(2) + " " + g.digits(2) + " " + g.digits(2)
	}, nil, "0"},
	{"IN", "91", func(g *gen) string { return fmt.Sprint(7+g.intn(3)) + g.digits(4) + " " + g.digits(5) }, nil, "0"},
	{"AU", "61", func(g *gen) string {
		return g.pick("2 9"+g.digits(3)+" "+g.digits(4), "4"+g.digits(2)+" "+g.digits(3)+" "+g.digits(3))
	}, nil, "0"},
	{"JP", "81", func(g *gen) string {
		return g.pick("3-"+g.digits(4)+"-"+g.digits(4), "90-"+g.digits(4)+"-"+g.digits(4))
	}, nil, "0"},
	{"BR", "55", func(g *gen) string { return "11 9" + fmt.Sprint(6+g.intn(4)) + g.digits(3) + "-" + g.digits(4) }, nil, "0"},
	{"ES", "34", func(g *gen) string { return "6" + g.digits(2) + " " + g.digits(3) + " " + g.digits(3) }, nil, ""},
	{"NL", "31", func(g *gen) string { return "6 " + fmt.Sprint(1+g.intn(8)) + g.digits(7) }, nil, "0"},
}

func validPhone(num, region string) bool {
	n, err := phonenumbers.Parse(num, region)
	return err == nil && phonenumbers.IsValidNumber(n)
}

func (g *gen) phones() {
	for _, pr := range phoneRegions {
		type variant struct {
			name      string
			canonical bool
			f         func(nsn string) string
		}
		compact := func(s string) string { return strings.NewReplacer(" ", "", "-", "").Replace(s) }
		vs := []variant{
			{"intl_spaced", true, func(n string) string { return "+" + pr.cc + " " + strings.ReplaceAll(n, "-", " ") }},
			{"intl_compact", true, func(n string) string { return "+" + pr.cc + compact(n) }},
			{"intl_dashed", false, func(n string) string { return "+" + pr.cc + "-" + strings.ReplaceAll(n, " ", "-") }},
			{"intl_00", false, func(n string) string { return "00" + pr.cc + " " + n }},
		}
		if pr.region == "US" {
			vs = append(vs,
				variant{"national_parens", true, func(n string) string { return "(" + n[:3] + ") " + n[3:6] + "-" + n[6:] }},
				variant{"national_dashed", true, func(n string) string { return n[:3] + "-" + n[3:6] + "-" + n[6:] }},
				variant{"national_dotted", false, func(n string) string { return n[:3] + "." + n[3:6] + "." + n[6:] }},
				variant{"national_1prefix", false, func(n string) string { return "1-" + n[:3] + "-" + n[3:6] + "-" + n[6:] }},
			)
		} else if pr.trunk != "" {
			vs = append(vs, variant{"national", pr.region == "GB" || pr.region == "DE" || pr.region == "FR", func(n string) string { return pr.trunk + n }})
		}
		for _, v := range vs {
			made := 0
			for tries := 0; made < PerFormat/3 && tries < 200; tries++ {
				nsn := pr.nsn(g)
				val := v.f(nsn)
				if !validPhone("+"+pr.cc+compact(nsn), "ZZ") {
					continue
				}
				g.add("PHONE", "pii", strings.ToLower(pr.region)+"_"+v.name, v.canonical, val, "phone", false)
				made++
			}
		}
	}
}

func luhnDigit(partial string) byte {
	sum := 0
	alt := true
	for i := len(partial) - 1; i >= 0; i-- {
		n := int(partial[i] - '0')
		if alt {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		alt = !alt
	}
	return byte('0' + (10-sum%10)%10)
}

var cardIssuers = []struct {
	name   string
	prefix func(g *gen) string
	length int
}{
	{"visa16", func(g *gen) string { return "4" }, 16},
	{"visa13", func(g *gen) string { return "4" }, 13},
	{"mastercard", func(g *gen) string { return fmt.Sprint(51 + g.intn(5)) }, 16},
	{"mastercard2", func(g *gen) string { return fmt.Sprint(2221 + g.intn(500)) }, 16},
	{"amex", func(g *gen) string { return g.pick("34", "37") }, 15},
	{"discover", func(g *gen) string { return g.pick("6011", "65", "644") }, 16},
	{"jcb", func(g *gen) string { return fmt.Sprint(3528 + g.intn(62)) }, 16},
	{"diners", func(g *gen) string { return g.pick("300", "305", "36", "38") }, 14},
	{"unionpay", func(g *gen) string { return "62" + fmt.Sprint(3+g.intn(6)) }, 16},
	{"maestro", func(g *gen) string { return g.pick("5018", "6759", "6304") }, 19},
}

func (g *gen) cardNumber(prefix string, n int) string {
	p := prefix + g.digits(n-len(prefix)-1)
	return p + string(luhnDigit(p))
}

func group(s string, sizes []int, sep string) string {
	var parts []string
	for _, n := range sizes {
		if n >= len(s) {
			break
		}
		parts = append(parts, s[:n])
		s = s[n:]
	}
	parts = append(parts, s)
	return strings.Join(parts, sep)
}

func (g *gen) cards() {
	for _, is := range cardIssuers {
		for _, f := range []string{"compact", "spaced", "dashed"} {
			for i := 0; i < PerFormat/2; i++ {
				num := g.cardNumber(is.prefix(g), is.length)
				sizes := []int{4, 4, 4, 4, 4}
				if is.name == "amex" {
					sizes = []int{4, 6}
				} else if is.name == "diners" {
					sizes = []int{4, 6}
				}
				v := num
				switch f {
				case "spaced":
					v = group(num, sizes, " ")
				case "dashed":
					v = group(num, sizes, "-")
				}
				g.add("CREDIT_CARD", "pii", is.name+"_"+f, true, v, "card number", false)
			}
		}
	}
}

var ibanSpecs = []struct {
	cc   string
	bban func(g *gen) string
}{
	{"DE", func(g *gen) string { return g.digits(18) }},
	{"GB", func(g *gen) string { return g.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4) + g.digits(14) }},
	{"FR", func(g *gen) string { return g.digits(23) }},
	{"ES", func(g *gen) string { return g.digits(20) }},
	{"IT", func(g *gen) string { return "X" + g.digits(22) }},
	{"NL", func(g *gen) string { return g.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4) + g.digits(10) }},
	{"BE", func(g *gen) string { return g.digits(12) }},
	{"CH", func(g *gen) string { return g.digits(17) }},
	{"PL", func(g *gen) string { return g.digits(24) }},
	{"NO", func(g *gen) string { return g.digits(11) }},
	{"SE", func(g *gen) string { return g.digits(20) }},
	{"AT", func(g *gen) string { return g.digits(16) }},
}

// ibanCheck computes the two check digits for country cc and bban.
func ibanCheck(cc, bban string) string {
	r := 0
	for _, c := range bban + cc + "00" {
		if c >= '0' && c <= '9' {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	return fmt.Sprintf("%02d", 98-r)
}

func (g *gen) ibans() {
	for _, sp := range ibanSpecs {
		for _, f := range []string{"compact", "grouped"} {
			for i := 0; i < PerFormat/3; i++ {
				b := sp.bban(g)
				iban := sp.cc + ibanCheck(sp.cc, b) + b
				v := iban
				if f == "grouped" {
					v = group(iban, []int{4, 4, 4, 4, 4, 4, 4, 4}, " ")
				}
				g.add("IBAN", "pii", strings.ToLower(sp.cc)+"_"+f, true, v, "IBAN", false)
			}
		}
	}
}

func (g *gen) ssn() string {
	area := 1 + g.intn(898)
	for area == 666 {
		area = 1 + g.intn(898)
	}
	return fmt.Sprintf("%03d%02d%04d", area, 1+g.intn(99), 1+g.intn(9999))
}

func (g *gen) ssns() {
	for i := 0; i < PerFormat; i++ {
		s := g.ssn()
		g.add("US_SSN", "pii", "dashed", true, s[:3]+"-"+s[3:5]+"-"+s[5:], "SSN", false)
	}
	for i := 0; i < PerFormat; i++ {
		s := g.ssn()
		g.add("US_SSN", "pii", "spaced", false, s[:3]+" "+s[3:5]+" "+s[5:], "SSN", false)
	}
	for i := 0; i < PerFormat; i++ {
		s := g.ssn()
		text := fmt.Sprintf("%s %s for the tax form", g.pick("My SSN is", "SSN:", "social security number", "Social Security No."), s)
		st := strings.Index(text, s)
		g.n++
		g.cases = append(g.cases, Case{ID: fmt.Sprintf("us_ssn/bare_context/%03d", g.n), Text: text, Type: "US_SSN", Class: "pii", Start: st, End: st + 9, Format: "bare_context", Context: "prompt"})
	}
}

func (g *gen) ips() {
	for i := 0; i < PerFormat; i++ {
		v := fmt.Sprintf("%d.%d.%d.%d", 1+g.intn(223), g.intn(256), g.intn(256), 1+g.intn(254))
		g.add("IP_ADDRESS", "pii", "v4_public", true, v, "IP", false)
		v = g.pick(fmt.Sprintf("10.%d.%d.%d", g.intn(256), g.intn(256), 1+g.intn(254)), fmt.Sprintf("192.168.%d.%d", g.intn(256), 1+g.intn(254)), fmt.Sprintf("172.%d.%d.%d", 16+g.intn(16), g.intn(256), 1+g.intn(254)))
		g.add("IP_ADDRESS", "pii", "v4_private", true, v, "IP", false)
		var parts []string
		for k := 0; k < 8; k++ {
			parts = append(parts, fmt.Sprintf("%x", g.intn(65536)))
		}
		g.add("IP_ADDRESS", "pii", "v6_full", true, strings.Join(parts, ":"), "IPv6 address", false)
		g.add("IP_ADDRESS", "pii", "v6_compressed", true, fmt.Sprintf("2001:db8:%x::%x", 1+g.intn(65535), 1+g.intn(65535)), "IPv6 address", false)
		g.add("IP_ADDRESS", "pii", "v6_mapped", false, fmt.Sprintf("::ffff:%d.%d.%d.%d", 1+g.intn(223), g.intn(256), g.intn(256), 1+g.intn(254)), "IPv6 address", false)
	}
}

func (g *gen) password() string {
	return g.from(alnum, 8+g.intn(8)) + g.pick("!", "#", "%", "", "")
}

func (g *gen) urlCreds() {
	for i := 0; i < PerFormat; i++ {
		user, pw := g.pick("admin", "app", "svc_user", "root", "deploy"), g.password()
		host := g.pick("db.internal", "10.0.3.7", "cluster0.abcde.mongodb.net", "cache.prod.local")
		scheme := g.pick("postgres", "mysql", "mongodb+srv", "redis", "amqp", "https")
		url := fmt.Sprintf("%s://%s:%s@%s/%s", scheme, user, pw, host, g.pick("app", "", "orders?ssl=true"))
		text := fmt.Sprintf(g.pick("DATABASE_URL=%s", "connect with %s and retry", `"dsn": "%s"`), url)
		v := user + ":" + pw
		st := strings.Index(text, v)
		g.n++
		g.cases = append(g.cases, Case{ID: fmt.Sprintf("url_credentials/userinfo/%03d", g.n), Text: text, Type: "URL_CREDENTIALS", Class: "secret", Start: st, End: st + len(v), Format: "userinfo", Context: "config", Canonical: true})
	}
}

func (g *gen) jwts() {
	for i := 0; i < PerFormat; i++ {
		hdr := base64.RawURLEncoding.EncodeToString([]byte(g.pick(`{"alg":"HS256","typ":"JWT"}`, `{"alg":"RS256","kid":"`+g.from(hexLow, 8)+`"}`, `{"typ":"JWT","alg":"ES256"}`)))
		pl, _ := json.Marshal(map[string]any{"sub": g.digits(8), "name": g.pick("Ann", "Bo", "Chen"), "iat": 1700000000 + g.intn(1e7)})
		tok := hdr + "." + base64.RawURLEncoding.EncodeToString(pl) + "." + g.from(alnum+"-_", 43)
		g.add("JWT", "secret", "compact", true, tok, "token", true)
		text := "Authorization: Bearer " + tok
		st := strings.Index(text, tok)
		g.n++
		g.cases = append(g.cases, Case{ID: fmt.Sprintf("jwt/bearer/%03d", g.n), Text: text, Type: "JWT", Class: "secret", Start: st, End: st + len(tok), Format: "bearer", Context: "header", Canonical: true})
	}
}

func (g *gen) b64lines(n int) []string {
	var ls []string
	for i := 0; i < n; i++ {
		ls = append(ls, g.from(alnum+"+/", 64))
	}
	ls = append(ls, g.from(alnum+"+/", 20)+"==")
	return ls
}

func (g *gen) privateKeys() {
	for _, label := range []string{"RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"} {
		for i := 0; i < PerFormat/3; i++ {
			body := g.b64lines(3 + g.intn(10))
			pem := "-----BEGIN " + label + "-----\n" + strings.Join(body, "\n") + "\n-----END " + label + "-----"
			f := strings.ToLower(strings.ReplaceAll(label, " ", "_"))
			text := g.pick("Here is my key:\n%s\nwhy does ssh reject it?", "%s", "```\n%s\n```")
			text = fmt.Sprintf(text, pem)
			st := strings.Index(text, pem)
			g.n++
			g.cases = append(g.cases, Case{ID: fmt.Sprintf("private_key/%s/%03d", f, g.n), Text: text, Type: "PRIVATE_KEY", Class: "secret", Start: st, End: st + len(pem), Format: f, Context: "paste", Canonical: true})
			// The same key as a JSON string with \n escapes.
			esc := strings.ReplaceAll(pem, "\n", `\n`)
			text = `{"type": "service_account", "private_key": "` + esc + `\n"}`
			st = strings.Index(text, esc)
			g.n++
			g.cases = append(g.cases, Case{ID: fmt.Sprintf("private_key/json_escaped/%03d", g.n), Text: text, Type: "PRIVATE_KEY", Class: "secret", Start: st, End: st + len(esc), Format: "json_escaped", Context: "json"})
		}
	}
}

// secrets: provider tokens in the shapes their issuers use (and the
// gitleaks rules describe).
func (g *gen) secrets() {
	kinds := []struct {
		typ, format, varname string
		f                    func() string
	}{
		{"AWS_ACCESS_KEY", "akia", "AWS_ACCESS_KEY_ID", func() string { return "AKIA" + g.from(upper32, 16) }},
		{"GITHUB_TOKEN", "ghp", "GITHUB_TOKEN", func() string { return "ghp_" + g.from(alnum, 36) }},
		{"GITHUB_TOKEN", "github_pat", "GH_TOKEN", func() string { return "github_pat_" + g.from(alnum+"_", 82) }},
		{"GITLAB_TOKEN", "glpat", "GITLAB_TOKEN", func() string { return "glpat-" + g.from(alnum, 20) }},
		{"SLACK_TOKEN", "xoxb", "SLACK_BOT_TOKEN", func() string {
			return "xoxb-" + g.digits(12) + "-" + g.digits(13) + "-" + g.from(alnum, 24)
		}},
		{"STRIPE_KEY", "sk_live", "STRIPE_SECRET_KEY", func() string { return "sk_live_" + g.from(alnum, 24+g.intn(70)) }},
		{"OPENAI_API_KEY", "sk_proj", "OPENAI_API_KEY", func() string {
			return "sk-proj-" + g.from(alnum+"_-", 74) + "T3BlbkFJ" + g.from(alnum+"_-", 74)
		}},
		{"ANTHROPIC_API_KEY", "sk_ant", "ANTHROPIC_API_KEY", func() string { return "sk-ant-api03-" + g.from(alnum+"_-", 93) + "AA" }},
		{"GCP_API_KEY", "aiza", "GOOGLE_API_KEY", func() string { return "AIza" + g.from(alnum+"_-", 35) }},
		{"NPM_ACCESS_TOKEN", "npm", "NPM_TOKEN", func() string { return "npm_" + g.from(alnum, 36) }},
		{"HUGGINGFACE_ACCESS_TOKEN", "hf", "HF_TOKEN", func() string { return "hf_" + g.from(lowers+strings.ToUpper(lowers), 34) }},
		{"DIGITALOCEAN_PAT", "dop_v1", "DO_TOKEN", func() string { return "dop_v1_" + g.from(hexLow, 64) }},
		{"API_KEY", "generic_password", "db_password", func() string { return g.from(alnum, 12) + g.pick("!", "#", "") + g.digits(3) }},
	}
	for _, k := range kinds {
		for i := 0; i < PerFormat; i++ {
			v := k.f()
			ctxVar := k.varname
			if i%2 == 1 {
				ctxVar = strings.ToLower(ctxVar)
			}
			c := secretContexts[g.intn(len(secretContexts))]
			if k.format == "generic_password" && c.name == "prose" {
				c = secretContexts[0]
			}
			text := fmt.Sprintf(c.tmpl, v, ctxVar)
			st := strings.Index(text, v)
			g.n++
			g.cases = append(g.cases, Case{ID: fmt.Sprintf("%s/%s/%03d", strings.ToLower(k.typ), k.format, g.n), Text: text, Type: k.typ, Class: "secret", Start: st, End: st + len(v), Format: k.format, Context: c.name, Canonical: true})
		}
	}
}
