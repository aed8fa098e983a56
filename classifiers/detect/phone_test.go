package detect

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestFastPhoneMatchesParse checks the direct metadata validation against
// phonenumbers.Parse on the dev set's numbers and on random digit strings.
func TestFastPhoneMatchesParse(t *testing.T) {
	var intl []string
	for _, c := range readCases(t, positivesFile) {
		if c.Type == "PHONE" && strings.HasPrefix(c.Text[c.Start:c.End], "+") {
			intl = append(intl, digitsOf(c.Text[c.Start:c.End]))
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 3000; i++ {
		n := 8 + r.IntN(8)
		b := make([]byte, n)
		for k := range b {
			b[k] = byte('0' + r.IntN(10))
		}
		intl = append(intl, string(b))
	}
	for _, ds := range intl {
		n, err := phonenumbers.Parse("+"+ds, "ZZ")
		want := err == nil && phonenumbers.IsValidNumber(n)
		if got := validInternational(ds); got != want {
			t.Errorf("+%s: fast %v, Parse %v", ds, got, want)
		}
	}
	for _, region := range []string{"GB", "DE", "FR", "IN", "AU", "NL", "IE", "IT"} {
		for i := 0; i < 2000; i++ {
			n := 9 + r.IntN(4)
			b := make([]byte, n)
			b[0] = '0'
			for k := 1; k < n; k++ {
				b[k] = byte('0' + r.IntN(10))
			}
			ds := string(b)
			if strings.HasPrefix(ds, "00") {
				continue // validated as international (any country), not for region
			}
			p, err := phonenumbers.Parse(ds, region)
			want := err == nil && phonenumbers.IsValidNumberForRegion(p, region)
			if got := validNational(ds, region); got != want {
				t.Errorf("%s %s: fast %v, Parse %v", region, ds, got, want)
			}
		}
	}
}

// TestLongNumericRuns: values deep inside long runs of numbers are found
// wherever the run is cut into chunks (runChunk groups).
func TestLongNumericRuns(t *testing.T) {
	d := newRuleDetector(t)
	for _, off := range []int{0, 10, runChunk - runOverlap - 1, runChunk - runOverlap, runChunk - 1, runChunk, runChunk + 1, 2*runChunk - runOverlap, 700} {
		text := strings.Repeat("7 ", off) + "+44 20 7946 0958 " + strings.Repeat("3 ", 300) + "4111 1111 1111 1111 " + strings.Repeat("5 ", off)
		fs, err := d.Detect(t.Context(), text)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 2 || fs[0].Type != "PHONE" || fs[1].Type != "CREDIT_CARD" {
			t.Errorf("offset %d: %s", off, describe(text, fs))
		}
	}
}
