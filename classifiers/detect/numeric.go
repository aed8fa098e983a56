package detect

import (
	"net/netip"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/wardenhq/warden/internal/types"
)

// Numbers (cards, phones, SSNs, IPv4 addresses) are found in one pass over
// "numeric runs": digit groups joined by short separators (space, - . / ( )),
// optionally led by '+'. Candidates are consecutive groups of a run, longest
// first, validated by type: Luhn and issuer ranges, SSA ranges, netip, and
// libphonenumber (github.com/nyaruka/phonenumbers). A run is visited once
// and every candidate spans at most maxNumericDigits digits and
// maxNumericSpan bytes, so the scan is linear however long the digits go.
const (
	maxNumericDigits = 19
	maxNumericSpan   = 40
	maxSepLen        = 3
)

// group is one run of digits and the separator before it. It holds no
// pointers (offsets only), so a text of a million groups costs the garbage
// collector nothing to scan.
type group struct {
	start, end int  // the digits
	sepStart   int  // the separator is text[sepStart:start]
	strong     bool // the separator holds a space or '/'
}

func (g group) sepOf(text string) string { return text[g.sepStart:g.start] }

func isSepByte(c byte) bool {
	return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')'
}

// runChunk bounds the groups of a run held at once: a longer run (a table
// of numbers, a million "1 ") is classified chunk by chunk, each chunk
// overlapping the next by more than any candidate spans, so memory stays
// small and nothing is missed.
const (
	runChunk   = 256
	runOverlap = maxNumericDigits + 2
)

// numericRun returns the end of the run of groups starting at i, the
// groups (appended to gs[:0]) and whether it stopped at runChunk groups
// with more to come. A continuation (cont) starts at a separator.
func numericRun(text string, i int, cont bool, gs []group) (int, []group, bool) {
	gs = gs[:0]
	sep := ""
	j := i
	if !cont && text[j] == '+' {
		j++
	}
	for j < len(text) {
		if len(gs) == runChunk {
			return j, gs, true
		}
		// Separator.
		k := j
		for k < len(text) && k-j <= maxSepLen && isSepByte(text[k]) {
			k++
		}
		if k-j > maxSepLen || k == len(text) || !isDigit(text[k]) || strings.Contains(text[j:k], "  ") {
			break
		}
		sep = text[j:k]
		d := k
		for d < len(text) && isDigit(text[d]) {
			d++
		}
		gs = append(gs, group{start: k, end: d, sepStart: j, strong: strongSep(sep)})
		j = d
	}
	return j, gs, false
}

// scanNumbers appends card, SSN, IPv4 and phone findings.
func (d *Detector) scanNumbers(text string, dst []types.Finding) []types.Finding {
	var gs []group
	for i := 0; i < len(text); i++ {
		c := text[i]
		if !(isDigit(c) || (c == '+' || c == '(') && i+1 < len(text) && isDigit(text[i+1])) {
			continue
		}
		if i > 0 && (isAlnum(text[i-1]) || text[i-1] == '_' || (text[i-1] == '.' || text[i-1] == ',') && i > 1 && isDigit(text[i-2])) {
			// Inside a word or a larger number: skip to its end.
			for i+1 < len(text) && (isAlnum(text[i+1]) || text[i+1] == '_') {
				i++
			}
			continue
		}
		pos, cont := i, false
		for {
			var end int
			var more bool
			end, gs, more = numericRun(text, pos, cont, gs)
			if len(gs) == 0 {
				i = max(i, end-1)
				break
			}
			if !more {
				// A letter glued to the last group makes the run an identifier.
				last := gs[len(gs)-1]
				glued := last.end < len(text) && (isAlpha(text[last.end]) || text[last.end] == '_') && !isExtension(text[last.end:])
				dst, _ = d.classifyRun(text, i, gs, glued, cont, len(gs), dst)
				i = end - 1
				break
			}
			// Candidates start in the chunk's first part; the rest is
			// read again, with the next chunk.
			var next int
			dst, next = d.classifyRun(text, i, gs, false, cont, runChunk-runOverlap, dst)
			pos, cont = gs[next].sepStart, true
		}
	}
	return dst
}

func strongSep(sep string) bool { return strings.ContainsAny(sep, " /") }

// isExtension reports "x123" or "ext123" after a phone number.
func isExtension(s string) bool {
	for _, p := range []string{"x", "ext", "ext.", "X"} {
		if strings.HasPrefix(s, p) && len(s) > len(p) && isDigit(s[len(p)]) {
			return true
		}
	}
	return false
}

// classifyRun classifies candidates starting at groups [0, startBefore) of
// a run (or of a chunk of one, cont: the first group does not start the
// run) and returns the first group it did not consume.
func (d *Detector) classifyRun(text string, runStart int, gs []group, glued, cont bool, startBefore int, dst []types.Finding) ([]types.Finding, int) {
	plus := text[runStart] == '+' && !cont
	cardShaped := !cont && startBefore == len(gs) && cardShapedRun(text, gs)
	n := len(gs)
	if glued {
		n-- // the glued group cannot end a candidate
	}
	var ok [maxNumericDigits + 1]bool
	i := 0
	for i < n && i < startBefore {
		found := false
		if gs[i].end-gs[i].start > maxNumericDigits {
			i++
			continue
		}
		// Shape of gs[i:j+1] for each j, computed incrementally: which
		// candidates any type could accept (no allocation).
		maxJ := i - 1
		nd, small, sameSep, fours := 0, 0, true, true
		for j := i; j < n && j-i <= maxNumericDigits; j++ {
			sz := gs[j].end - gs[j].start
			nd += sz
			if nd > maxNumericDigits || gs[j].end-gs[i].start > maxNumericSpan {
				break
			}
			k := j - i
			if k > 1 && sz == 1 {
				small++
			}
			if k > 1 && gs[j].sepOf(text) != gs[i+1].sepOf(text) {
				sameSep = false
			}
			cardGroups := k == 0 || fours && sz <= 4 || k == 2 && gs[i].end-gs[i].start == 4 && gs[i+1].end-gs[i+1].start == 6 && (sz == 4 || sz == 5)
			ok[k] = k == 3 && nd <= 12 && sameSep && gs[i+1].sepOf(text) == "." || // IPv4
				nd == 9 && (k == 0 || k == 2) || // SSN
				nd >= 12 && sameSep && !(plus && i == 0) && cardGroups || // card
				nd >= 7 && nd <= 17 && k < 6 && small <= 1 && // phone, set off by spaces
					(i == 0 && !cont || gs[i].strong) && (j+1 >= len(gs) || gs[j+1].strong)
			fours = fours && sz == 4
			maxJ = j
			if k >= 3 && small > 1 && !fours {
				break // no longer candidate can be a phone, a card or an IPv4
			}
		}
		for j := maxJ; j >= i; j-- {
			if !ok[j-i] {
				continue
			}
			next := ""
			if j+1 < len(gs) {
				next = gs[j+1].sepOf(text)
			}
			c := candidate{text: text, gs: gs[i : j+1], next: next, first: i == 0 && !cont, plus: plus && i == 0, runStart: runStart, cardShapedRun: cardShaped}
			if f, ok := d.classify(c); ok {
				dst = append(dst, f)
				i = j + 1
				found = true
				break
			}
		}
		if !found {
			i++
		}
	}
	return dst, i
}

type candidate struct {
	text          string
	gs            []group
	next          string // separator after the last group ("" at run end)
	first, plus   bool
	runStart      int
	cardShapedRun bool
}

func (c candidate) start() int {
	if c.first {
		return c.runStart
	}
	s := c.gs[0].start
	if strings.HasSuffix(c.gs[0].sepOf(c.text), "(") {
		s--
	}
	return s
}

func (c candidate) end() int { return c.gs[len(c.gs)-1].end }

func (c candidate) digits() string {
	var b strings.Builder
	for _, g := range c.gs {
		b.WriteString(c.text[g.start:g.end])
	}
	return b.String()
}

// seps returns the separators between the candidate's groups (not before
// the first) and whether they are all the same.
func (c candidate) seps() (first string, same bool) {
	same = true
	for k := 1; k < len(c.gs); k++ {
		if k == 1 {
			first = c.gs[k].sepOf(c.text)
		} else if c.gs[k].sepOf(c.text) != first {
			same = false
		}
	}
	return first, same
}

// innerParen reports parentheses between the candidate's groups.
func (c candidate) innerParen() bool {
	for _, g := range c.gs[1:] {
		if strings.ContainsAny(g.sepOf(c.text), "()") {
			return true
		}
	}
	return false
}

func (d *Detector) classify(c candidate) (types.Finding, bool) {
	ds := c.digits()
	start, end := c.start(), c.end()
	sep, same := c.seps()
	f := types.Finding{Start: start, End: end, Class: ClassPII}
	// Credit cards.
	if !c.plus && !c.innerParen() && len(ds) >= 12 && len(ds) <= 19 && same && (len(c.gs) == 1 || sep == " " || sep == "-") {
		if d.enabled["CREDIT_CARD"] && cardGrouping(c.gs) && luhn(ds) && cardIssuer(ds) != "" {
			f.Type, f.Score, f.Detector = "CREDIT_CARD", 1, "card:"+cardIssuer(ds)
			f.Start = c.gs[0].start
			return f, true
		}
	}
	// US social security numbers: 3-2-4.
	if d.enabled["US_SSN"] && !c.plus && !c.innerParen() {
		if len(c.gs) == 3 && same && (sep == "-" || sep == " ") && c.gs[0].end-c.gs[0].start == 3 && c.gs[1].end-c.gs[1].start == 2 && c.gs[2].end-c.gs[2].start == 4 {
			if validSSN(ds) {
				f.Type, f.Score, f.Detector = "US_SSN", 0.85, "ssn:formatted"
				if hasContext(c.text, start, ssnContext) {
					f.Score = 1
				}
				f.Start = c.gs[0].start
				return f, true
			}
		}
		if len(c.gs) == 1 && len(ds) == 9 && validSSN(ds) && hasContext(c.text, start, ssnContext) {
			f.Type, f.Score, f.Detector = "US_SSN", 0.7, "ssn:context"
			f.Start = c.gs[0].start
			return f, true
		}
	}
	// IPv4.
	if d.enabled["IP_ADDRESS"] && len(c.gs) == 4 && same && sep == "." && !c.plus && len(ds) <= 12 {
		s := c.text[c.gs[0].start:end]
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() && !hasContext(c.text, c.gs[0].start, versionContext) {
			f.Type, f.Score, f.Detector = "IP_ADDRESS", 1, "ip:v4"
			f.Start = c.gs[0].start
			return f, true
		}
	}
	if d.enabled["PHONE"] {
		if pf, ok := d.phone(c, ds, sep, same); ok {
			return pf, true
		}
	}
	return f, false
}

// cardShapedRun reports a run that looks like a card number (13–19 digits
// in one group or in groups of four, say) — a run that is not a valid card
// is then not re-read as a phone number.
func cardShapedRun(text string, gs []group) bool {
	if c := text[gs[0].start]; c < '2' || c > '6' || gs[0].start > 0 && text[gs[0].start-1] == '+' {
		return false // no card network issues numbers starting 0, 1, 7, 8, 9
	}
	digits := 0
	for _, g := range gs {
		digits += g.end - g.start
	}
	if digits < 13 || digits > 19 {
		return false
	}
	if len(gs) == 1 {
		return true
	}
	for k, g := range gs {
		if sep := g.sepOf(text); k > 0 && sep != " " && sep != "-" {
			return false
		}
		if k < len(gs)-1 && g.end-g.start != 4 {
			return false
		}
	}
	return true
}

// cardGrouping accepts the ways card numbers are printed: one group; groups
// of four with a shorter last group (4-4-4-4, 4-4-4-4-3, 4-4-4-1); or 4-6-5
// and 4-6-4 (American Express, Diners Club).
func cardGrouping(gs []group) bool {
	if len(gs) == 1 {
		return true
	}
	size := func(k int) int { return gs[k].end - gs[k].start }
	if len(gs) == 3 && size(0) == 4 && size(1) == 6 && (size(2) == 5 || size(2) == 4) {
		return true
	}
	for k := range gs {
		if k < len(gs)-1 && size(k) != 4 || k == len(gs)-1 && size(k) > 4 {
			return false
		}
	}
	return true
}

func luhn(ds string) bool {
	sum := 0
	alt := false
	for i := len(ds) - 1; i >= 0; i-- {
		n := int(ds[i] - '0')
		if alt {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		alt = !alt
	}
	return sum%10 == 0
}

// cardIssuer returns the network of a card number from its IIN range and
// length ("" when no network issues such numbers).
func cardIssuer(ds string) string {
	n := len(ds)
	p := func(k int) int {
		v := 0
		for i := 0; i < k && i < n; i++ {
			v = v*10 + int(ds[i]-'0')
		}
		return v
	}
	in := func(lo, hi, k int) bool { v := p(k); return v >= lo && v <= hi }
	switch {
	case ds[0] == '4' && (n == 13 || n == 16 || n == 19):
		return "visa"
	case (in(51, 55, 2) || in(2221, 2720, 4)) && n == 16:
		return "mastercard"
	case (p(2) == 34 || p(2) == 37) && n == 15:
		return "amex"
	case (p(4) == 6011 || in(644, 649, 3) || p(2) == 65 || in(622126, 622925, 6)) && n >= 16 && n <= 19:
		return "discover"
	case p(2) == 35 && n >= 16 && n <= 19, (p(4) == 1800 || p(4) == 2131) && n == 15:
		return "jcb"
	case (in(300, 305, 3) || p(4) == 3095 || p(2) == 36 || in(38, 39, 2)) && n >= 14 && n <= 19:
		return "diners"
	case p(2) == 62 && n >= 16 && n <= 19:
		return "unionpay"
	case in(2200, 2204, 4) && n >= 16 && n <= 19:
		return "mir"
	case (p(2) == 50 || in(56, 58, 2) || p(4) == 6304 || p(4) == 6390 || p(4) == 6759 || in(6761, 6763, 4) || p(4) == 604) && n >= 12 && n <= 19:
		return "maestro"
	}
	return ""
}

// validSSN applies the SSA's rules: area 001–665, 667–899; group 01–99;
// serial 0001–9999; and a few numbers known to be invalid or advertising
// samples.
func validSSN(ds string) bool {
	if len(ds) != 9 {
		return false
	}
	area, grp, ser := ds[:3], ds[3:5], ds[5:]
	if area == "000" || area == "666" || area[0] == '9' || grp == "00" || ser == "0000" {
		return false
	}
	switch ds {
	case "078051120", "219099999", "123456789", "111111111", "333333333":
		return false
	}
	return true
}

var (
	ssnContext     = []string{"ssn", "social security", "social sec", "soc sec", "taxpayer", "tin:", "itin"}
	versionContext = []string{"version", "ver.", "ver ", "release", "build", "v."}
	phoneContext   = []string{"phone", "tel", "call", "mobile", "cell", "fax", "contact", "whatsapp", "sms", "text me", "reach me", "dial", "my number", "landline"}
)

// contextWindow is how far before a candidate context words are looked for.
const contextWindow = 48

// hasContext reports whether one of the words occurs (ASCII
// case-insensitively, starting at a word boundary) in the contextWindow
// bytes before pos.
func hasContext(text string, pos int, words []string) bool {
	lo := max(0, pos-contextWindow)
	var buf [contextWindow]byte
	w := buf[:pos-lo]
	for i := range w {
		w[i] = lowerASCII(text[lo+i])
	}
	s := string(w)
	for _, k := range words {
		for off := 0; ; {
			j := strings.Index(s[off:], k)
			if j < 0 {
				break
			}
			at := lo + off + j
			if at == 0 || !isAlpha(text[at-1]) {
				return true
			}
			off += j + 1
		}
	}
	return false
}

// isDateShaped reports digit groups that read as a date (2024-01-31,
// 31/01/2024, 01.31.24): not phone numbers.
func isDateShaped(c candidate) bool {
	if len(c.gs) != 3 {
		return false
	}
	l := [3]int{}
	v := [3]int{}
	for k, g := range c.gs {
		l[k] = g.end - g.start
		for _, ch := range c.text[g.start:g.end] {
			v[k] = v[k]*10 + int(ch-'0')
		}
	}
	month := func(x int) bool { return x >= 1 && x <= 12 }
	day := func(x int) bool { return x >= 1 && x <= 31 }
	switch {
	case l[0] == 4 && l[1] <= 2 && l[2] <= 2:
		return month(v[1]) && day(v[2]) || day(v[1]) && month(v[2])
	case l[0] <= 2 && l[1] <= 2 && (l[2] == 4 || l[2] == 2):
		return month(v[0]) && day(v[1]) || day(v[0]) && month(v[1])
	}
	return false
}

// nanpGrouping accepts North American layouts: 3-3-4 (with an optional
// leading 1), 3-7, or ten (eleven) bare digits.
func nanpGrouping(gs []group) bool {
	var sz []int
	for _, g := range gs {
		sz = append(sz, g.end-g.start)
	}
	if len(sz) > 0 && sz[0] == 1 {
		sz = sz[1:]
	}
	switch len(sz) {
	case 1:
		return sz[0] == 10
	case 2:
		return sz[0] == 3 && sz[1] == 7
	case 3:
		return sz[0] == 3 && sz[1] == 3 && sz[2] == 4
	}
	return false
}

// phone validates a candidate with libphonenumber. International numbers
// (+ or 00) are validated for their own country; national numbers with a
// trunk prefix 0 for the configured regions; other national numbers of ten
// digits (or 1 and ten) for the North American plan. A number written as
// one bare digit string is only taken when a phone word precedes it.
func (d *Detector) phone(c candidate, ds, sep string, same bool) (types.Finding, bool) {
	f := types.Finding{Type: "PHONE", Class: ClassPII, Start: c.start(), End: c.end()}
	if c.cardShapedRun || isDateShaped(c) {
		return f, false
	}
	// Group sizes: only the first two groups may be a single digit (a
	// country code, a trunk digit, a French area digit).
	for k, g := range c.gs {
		if g.end-g.start == 1 && k > 1 && !(c.plus && c.text[g.start] == '0' && strings.HasSuffix(g.sepOf(c.text), "(")) && !(k > 0 && strings.HasPrefix(g.sepOf(c.text), ")") && c.text[c.gs[k-1].start] == '0' && c.gs[k-1].end-c.gs[k-1].start == 1) {
			return f, false
		}
		if k > 0 && (strings.Contains(g.sepOf(c.text), "/") && !same) {
			return f, false
		}
	}
	if len(c.gs) > 6 {
		return f, false
	}
	// A phone number is a whole run, or a part of one set off by spaces:
	// not digits picked out of an ISBN or a part number.
	strong := func(sep string) bool { return strings.ContainsAny(sep, " /") }
	if !c.first && !strong(c.gs[0].sepOf(c.text)) || c.next != "" && !strong(c.next) {
		return f, false
	}
	// 3-2-4 is the layout of a social security number, valid or not.
	if len(c.gs) == 3 && c.gs[0].end-c.gs[0].start == 3 && c.gs[1].end-c.gs[1].start == 2 && c.gs[2].end-c.gs[2].start == 4 {
		return f, false
	}
	// One bare digit string is only a phone number after a phone word —
	// unless it is written in E.164 form (+ and the country code).
	bare := len(c.gs) == 1 && !c.plus
	ctx := hasContext(c.text, f.Start, phoneContext)
	if bare && !ctx {
		return f, false
	}
	_ = sep
	raw := c.text[f.Start:f.End]
	_ = raw
	switch {
	case c.plus || strings.HasPrefix(ds, "00") && !bare:
		if len(ds) < 8 || len(ds) > 17 {
			return f, false
		}
		num := strings.Replace(raw, "(0)", "", 1) // +44 (0)20 ...: the trunk digit is not dialled
		if !c.plus {
			// 00 is the international prefix of most countries.
			num = "+" + strings.TrimLeft(c.text[c.gs[0].start+2:f.End], " -.")
			f.Start = c.gs[0].start
		}
		if !validInternational(digitsOf(num)) {
			return f, false
		}
		f.Score, f.Detector = 1, "phone:international"
		return f, true
	case ds[0] == '0':
		if len(ds) < 9 || len(ds) > 12 {
			return f, false
		}
		for _, region := range d.nationalRegions {
			if validNational(ds, region) {
				f.Score, f.Detector = 0.9, "phone:national:"+region
				if bare {
					f.Score = 0.75
				}
				return f, true
			}
		}
	case len(ds) == 10 || len(ds) == 11 && ds[0] == '1':
		if !nanpGrouping(c.gs) {
			return f, false
		}
		if !validInternational("1" + strings.TrimPrefix(ds, "1")) {
			return f, false
		}
		f.Score, f.Detector = 0.9, "phone:nanp"
		if bare {
			f.Score = 0.75
		}
		return f, true
	}
	return f, false
}

// Phone numbers are validated against libphonenumber's metadata directly:
// the candidate's digits are already clean, so the number is built from
// country code and national number rather than re-parsed from text
// (phonenumbers.Parse costs tens of microseconds in regexps).

func digitsOf(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// validInternational checks digits that start with a country code.
func validInternational(ds string) bool {
	if ds == "" || ds[0] == '0' {
		return false // no country code starts with 0
	}
	for l := 1; l <= 3 && l < len(ds); l++ {
		cc := 0
		for _, c := range ds[:l] {
			cc = cc*10 + int(c-'0')
		}
		if phonenumbers.GetRegionCodeForCountryCode(cc) == "ZZ" {
			continue
		}
		nsn := ds[l:]
		if phonenumbers.IsValidNumber(buildNumber(cc, nsn)) {
			return true
		}
		// A trunk prefix written after the country code (+49 030 ...)
		// is dropped, as libphonenumber's parser does.
		region := phonenumbers.GetRegionCodeForCountryCode(cc)
		if ndd := phonenumbers.GetNddPrefixForRegion(region, true); ndd != "" && strings.HasPrefix(nsn, ndd) {
			return phonenumbers.IsValidNumber(buildNumber(cc, nsn[len(ndd):]))
		}
		return false
	}
	return false
}

// validNational checks a number written in region's national format
// (trunk prefix included).
func validNational(ds, region string) bool {
	cc := phonenumbers.GetCountryCodeForRegion(region)
	if cc == 0 {
		return false
	}
	if strings.HasPrefix(ds, "00") {
		return validInternational(ds[2:]) // 00 is the international prefix
	}
	if ndd := phonenumbers.GetNddPrefixForRegion(region, true); ndd != "" {
		if !strings.HasPrefix(ds, ndd) {
			return false
		}
		ds = ds[len(ndd):]
	}
	return phonenumbers.IsValidNumberForRegion(buildNumber(cc, ds), region)
}

func buildNumber(cc int, nsn string) *phonenumbers.PhoneNumber {
	n := &phonenumbers.PhoneNumber{}
	c := int32(cc)
	n.CountryCode = &c
	var v uint64
	for i := 0; i < len(nsn) && i < 17; i++ {
		v = v*10 + uint64(nsn[i]-'0')
	}
	n.NationalNumber = &v
	if len(nsn) > 1 && nsn[0] == '0' {
		t := true
		n.ItalianLeadingZero = &t
		z := int32(1)
		for int(z) < len(nsn)-1 && nsn[z] == '0' {
			z++
		}
		if z != 1 {
			n.NumberOfLeadingZeros = &z
		}
	}
	return n
}
