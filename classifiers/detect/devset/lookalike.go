package devset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// LookAlikes returns benign texts full of things that resemble PII or
// secrets; a detector should report nothing in them.
func LookAlikes(seed uint64) []Case {
	g := &gen{r: rand.New(rand.NewPCG(seed, 2))}
	kinds := []struct {
		name string
		f    func() string
	}{
		{"order_number", func() string {
			return g.sprintf(g.pick("Order #%s shipped today.", "Your order number is %s.", "PO-%s was approved.", "Ticket %s has been closed."),
				g.pick(g.digits(6+g.intn(5)), "A-"+g.digits(8), g.digits(4)+"-"+g.digits(4), "2024-"+g.digits(5)))
		}},
		{"isbn", func() string {
			return g.sprintf(g.pick("ISBN %s", "The book (ISBN-13: %s) is out of print.", "isbn:%s"), g.isbn())
		}},
		{"invalid_luhn_card", func() string {
			n := g.cardNumber("4", 16)
			last := (int(n[15]-'0') + 1 + g.intn(8)) % 10
			n = n[:15] + fmt.Sprint(last)
			return g.sprintf(g.pick("Reference %s", "ref: %s", "Tracking ID %s"), g.pick(n, group(n, []int{4, 4, 4, 4}, " "), group(n, []int{4, 4, 4, 4}, "-")))
		}},
		{"version", func() string {
			return g.sprintf(g.pick("Upgrade to version %s.", "Python %s is installed.", "go%s linux/amd64", "release v%s", "Chrome %s"),
				g.pick(fmt.Sprintf("%d.%d.%d", g.intn(20), g.intn(30), g.intn(100)), fmt.Sprintf("%d.%d", 1+g.intn(9), g.intn(30)), fmt.Sprintf("%d.0.%d.%d", 100+g.intn(30), 1000+g.intn(9000), g.intn(300))))
		}},
		{"date", func() string {
			y, m, d := 1990+g.intn(40), 1+g.intn(12), 1+g.intn(28)
			switch g.intn(4) {
			case 0:
				return fmt.Sprintf("Due %04d-%02d-%02d.", y, m, d)
			case 1:
				return fmt.Sprintf("Born %02d/%02d/%04d.", m, d, y)
			case 2:
				return fmt.Sprintf("Meeting on %02d.%02d.%04d at 10:30.", d, m, y)
			}
			return fmt.Sprintf("Timestamp %04d-%02d-%02dT10:20:30Z", y, m, d)
		}},
		{"example_host", func() string {
			return g.sprintf(g.pick("See https://www.example.com/docs/%s for details.", "curl -s https://api.example.org/v1/%s", "Visit example.net/%s", "ftp://ftp.example.com/pub/%s.tar.gz"), g.from(lowers, 6))
		}},
		{"hash", func() string {
			return g.sprintf(g.pick("commit %s", "sha256 %s", "Checksum: %s"), g.from(hexLow, g.pick2(40, 64)))
		}},
		{"uuid", func() string {
			return fmt.Sprintf("request id %s-%s-4%s-a%s-%s", g.from(hexLow, 8), g.from(hexLow, 4), g.from(hexLow, 3), g.from(hexLow, 3), g.from(hexLow, 12))
		}},
		{"price", func() string {
			return g.sprintf(g.pick("Total: $%d,%03d.%02d", "It costs €%d.%03d,%02d", "Revenue grew to %d,%03d,%02d0 units"), 1+g.intn(999), g.intn(1000), g.intn(100))
		}},
		{"measure", func() string {
			return g.sprintf(g.pick("The beam is %d.%d m long and weighs %d kg.", "Coordinates: %d.%04d, %d.%04d", "Set the timeout to %d.%d seconds and %d retries."), g.intn(90), g.intn(10000), g.intn(180), g.intn(10000))
		}},
		{"math", func() string {
			return g.sprintf(g.pick("Compute %d * %d + %d.", "pi is about 3.14159265358979", "The answer is %d%d%d.", "2^64 = 18446744073709551616"), g.intn(100000), g.intn(100000), g.intn(1000))
		}},
		{"time", func() string {
			return g.sprintf(g.pick("at %02d:%02d:%02d", "between %02d:%02d and %02d:30", "duration %02d:%02d:%02d.%03d"), g.intn(24), g.intn(60), g.intn(60), g.intn(1000))
		}},
		{"mac", func() string {
			return fmt.Sprintf("MAC %s:%s:%s:%s:%s:%s", g.from(hexLow, 2), g.from(hexLow, 2), g.from(hexLow, 2), g.from(hexLow, 2), g.from(hexLow, 2), g.from(hexLow, 2))
		}},
		{"code", func() string {
			return g.pick(
				"std::vector<int> v; v.push_back(1);",
				"for (int i = 0; i < 10; i++) { sum += a[i]; }",
				"password = input(\"Enter password: \")",
				"api_key = os.environ[\"API_KEY\"]",
				"token = request.headers.get(\"Authorization\")",
				"const key = process.env.STRIPE_KEY;",
				"secret: ${{ secrets.DEPLOY_KEY }}",
				"password: changeme",
				"def get_token(self): return self._token",
				"ssh-keygen -t ed25519 -C \"you@example\"",
			)
		}},
		{"zip_postcode", func() string {
			return g.sprintf(g.pick("ZIP %05d", "Postcode SW1A 1AA", "PLZ %05d Berlin"), g.intn(100000))
		}},
		{"short_numbers", func() string {
			return fmt.Sprintf("Table: %d %d %d %d %d %d %d %d", g.intn(100), g.intn(100), g.intn(1000), g.intn(100), g.intn(10), g.intn(100), g.intn(1000), g.intn(100))
		}},
		{"long_digits", func() string {
			return fmt.Sprintf("Serial %s", g.digits(20+g.intn(10)))
		}},
		{"placeholder_url_creds", func() string {
			return g.pick("postgres://user:password@localhost/db", "mysql://root:${DB_PASSWORD}@db/app", "redis://:<password>@cache:6379", "https://user:pass@example.com/")
		}},
		{"placeholder_key", func() string {
			return g.pick("-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----\nMIIB", "AKIAIOSFODNN7EXAMPLE is the documented sample key", "sk_test_... goes here")
		}},
	}
	for _, k := range kinds {
		for i := 0; i < 60; i++ {
			g.n++
			text := k.f()
			g.cases = append(g.cases, Case{ID: fmt.Sprintf("lookalike/%s/%03d", k.name, g.n), Text: text, Format: k.name, Context: "benign"})
		}
	}
	return g.cases
}

// sprintf formats with as many arguments as the template has verbs.
func (g *gen) sprintf(t string, args ...any) string {
	n := strings.Count(t, "%") - 2*strings.Count(t, "%%")
	return fmt.Sprintf(t, args[:min(n, len(args))]...)
}

func (g *gen) pick2(a, b int) int {
	if g.intn(2) == 0 {
		return a
	}
	return b
}

// isbn returns a valid ISBN-13 (or ISBN-10), hyphenated or not.
func (g *gen) isbn() string {
	if g.intn(2) == 0 {
		p := g.pick("978", "979") + g.digits(9)
		sum := 0
		for i, c := range p {
			w := 1
			if i%2 == 1 {
				w = 3
			}
			sum += int(c-'0') * w
		}
		s := p + fmt.Sprint((10-sum%10)%10)
		if g.intn(2) == 0 {
			return s[:3] + "-" + s[3:4] + "-" + s[4:7] + "-" + s[7:12] + "-" + s[12:]
		}
		return s
	}
	p := g.digits(9)
	sum := 0
	for i, c := range p {
		sum += int(c-'0') * (10 - i)
	}
	ck := (11 - sum%11) % 11
	s := p + fmt.Sprint(ck)
	if ck == 10 {
		s = p + "X"
	}
	if g.intn(2) == 0 {
		return s[:1] + "-" + s[1:4] + "-" + s[4:9] + "-" + s[9:]
	}
	return strings.ToUpper(s)
}
