package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/wardenhq/warden/classifiers/detect/nerfeat"
)

// span is a labelled entity in an example (byte offsets).
type span struct {
	Label string `json:"label"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

type example struct {
	Text   string `json:"text"`
	Spans  []span `json:"spans"`
	Source string `json:"source"`
	Split  string `json:"split"`
}

// labelOf maps Presidio entity types to the tagger's labels; others are O.
func labelOf(presidio string) string {
	switch presidio {
	case "PERSON":
		return "PERSON"
	case "GPE", "STREET_ADDRESS", "LOCATION":
		return "LOCATION"
	}
	return ""
}

// splitOf assigns a template (by index) to train, dev or test: whole
// templates are held out, so that near-duplicate sentences never sit on
// both sides.
func splitOf(i int) string {
	switch i % 5 {
	case 0:
		return "test"
	case 1:
		return "dev"
	}
	return "train"
}

// presidioSynth reads data/synth_dataset_v2.json (and tests/data/
// generated_small.json, all held out as test).
func presidioSynth(data string) ([]example, error) {
	type pspan struct {
		Type  string `json:"entity_type"`
		Start int    `json:"start_position"`
		End   int    `json:"end_position"`
	}
	type rec struct {
		Text     string  `json:"full_text"`
		Spans    []pspan `json:"spans"`
		Template int     `json:"template_id"`
	}
	var out []example
	for _, f := range []struct{ path, source string }{
		{"presidio-research/data/synth_dataset_v2.json", "presidio-synth-v2"},
		{"presidio-research/tests/data/generated_small.json", "presidio-generated-small"},
	} {
		b, err := os.ReadFile(filepath.Join(data, f.path))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f.path, err)
		}
		var rs []rec
		if err := json.Unmarshal(b, &rs); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", f.path, err)
		}
		for _, r := range rs {
			ex := example{Text: r.Text, Source: f.source, Split: splitOf(r.Template)}
			if f.source == "presidio-generated-small" {
				ex.Split = "test"
			}
			// Presidio positions count code points; convert to bytes.
			idx := runeToByte(r.Text)
			for _, s := range r.Spans {
				if l := labelOf(s.Type); l != "" && s.Start >= 0 && s.End < len(idx) && s.Start < s.End {
					ex.Spans = append(ex.Spans, span{l, idx[s.Start], idx[s.End]})
				}
			}
			out = append(out, ex)
		}
	}
	return out, nil
}

func runeToByte(s string) []int {
	idx := make([]int, 0, len(s)+1)
	for i := range s {
		idx = append(idx, i)
	}
	return append(idx, len(s))
}

// identity is one row of FakeNameGenerator.com_3000.csv.
type identity struct {
	title, given, middle, surname, street, city, state, stateFull, zip, country, email, phone, company, gender string
	test                                                                                                       bool
}

func readIdentities(data string) ([]identity, error) {
	f, err := os.Open(filepath.Join(data, "presidio-research/presidio_evaluator/data_generator/raw_data/FakeNameGenerator.com_3000.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("FakeNameGenerator csv: %w", err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	var out []identity
	for k, row := range rows[1:] {
		g := func(n string) string { return strings.TrimSpace(row[col[n]]) }
		out = append(out, identity{
			title: g("Title"), given: g("GivenName"), middle: g("MiddleInitial"), surname: g("Surname"),
			street: g("StreetAddress"), city: g("City"), state: g("State"), stateFull: g("StateFull"), zip: g("ZipCode"),
			country: g("CountryFull"), email: g("EmailAddress"), phone: g("TelephoneNumber"), company: g("Company"), gender: g("Gender"),
			test: k%5 == 0,
		})
	}
	return out, nil
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(l, "\ufeff"))
		if l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// ownTemplates are Warden's chat-style sentences. Slots: {PERSON} {FIRST}
// {LAST} {CITY} {COUNTRY} {STATE} {ADDRESS} {STREET} are entities; {ORG}
// {NAT} {EMAIL} {PHONE} {NUM} {DAY} {MONTH} are not.
var ownTemplates = []string{
	"Hi, I'm {FIRST} and I live in {CITY}.",
	"Can you write a cover letter for {PERSON} applying to {ORG} in {CITY}?",
	"Please send the invoice to {PERSON}, {ADDRESS}.",
	"My manager {PERSON} asked me to book a flight from {CITY} to {CITY2} on {DAY}.",
	"Summarize this email from {PERSON}: the meeting in {CITY} is moved to {MONTH}.",
	"{PERSON} was born in {CITY}, {COUNTRY}, and moved to {COUNTRY2} at {NUM}.",
	"Dear Mr. {LAST}, thank you for your order from {ORG}.",
	"Dear Ms. {LAST},\nyour parcel is on its way to {ADDRESS}.",
	"Draft a reply to {FIRST} saying I can meet in {CITY} next week.",
	"Who is {PERSON}? I met them at a conference in {CITY}.",
	"Translate to French: {FIRST} is visiting {COUNTRY} in {MONTH}.",
	"Customer {PERSON} (email {EMAIL}) reported that the app crashes.",
	"Ship to: {PERSON}\n{ADDRESS}",
	"Our new office is at {ADDRESS}; ask for {FIRST} at reception.",
	"Write a birthday poem for my daughter {FIRST}.",
	"{FIRST} and {FIRST2} are planning a road trip across {STATE}.",
	"I need a reference letter for {PERSON}, who worked with me at {ORG} for {NUM} years.",
	"The patient, {PERSON}, was admitted on {DAY} and lives in {CITY}.",
	"Contact {PERSON} at {PHONE} about the flat in {CITY}.",
	"Remind {FIRST} to call the bank in {CITY} tomorrow.",
	"Is {CITY} or {CITY2} better for a weekend trip?",
	"What's the weather like in {CITY} in {MONTH}?",
	"Plan a three-day itinerary for {COUNTRY}.",
	"How far is {CITY} from {CITY2}?",
	"Book a table for two under the name {LAST}.",
	"The contract was signed by {PERSON} on behalf of {ORG}.",
	"Thanks, {FIRST}! See you in {CITY}.",
	"Regards,\n{PERSON}\n{ORG}",
	"Please update my address to {ADDRESS}.",
	"My neighbour {FIRST} {LAST} keeps parking in front of my garage on {STREET}.",
	"Tell me about the history of {COUNTRY}.",
	"{PERSON} will present the {ORG} quarterly results.",
	"I am {PERSON}, a {NAT} engineer based in {CITY}.",
	"Forward this to {FIRST} and cc {FIRST2}.",
	"Send flowers to {PERSON} at {ADDRESS} with the note 'Get well soon'.",
	"Can {ORG} deliver to {CITY}, {STATE}?",
	"Prof. {LAST} from {ORG} will review the thesis.",
	"Dr. {PERSON} is available on {DAY} in the {CITY} clinic.",
	"Our team in {CITY} reports to {FIRST}.",
	"Write a short bio: {PERSON} grew up in {COUNTRY} and studied in {CITY}.",
	"{FIRST} is very reliable, you can always count on her.",
	"{PERSON} called about the invoice this morning.",
	"{FIRST} said the server in {CITY} is down again.",
	"{LAST} and {LAST2} wrote the original paper.",
	"{CITY} is a great place to raise kids.",
	"{COUNTRY} changed its visa rules last year.",
	"{FIRST}: are we still on for lunch?\n{FIRST2}: yes, see you at noon.",
	"Interviewer: Where did you grow up?\n{FIRST}: In {CITY}, mostly.",
	"According to {PERSON}, the shipment left {CITY} on time.",
	"{PERSON}\n{ADDRESS}\n{PHONE}",
	"Name: {PERSON}\nCity: {CITY}\nCountry: {COUNTRY}",
	"Passenger {LAST}, {FIRST} is flying to {CITY} tonight.",
	"We thank {PERSON} and {PERSON2} for their help with the survey in {STATE}.",
	"{FIRST}'s flight from {CITY} was delayed by two hours.",
	"Can you check whether {PERSON} still works in our {CITY} office?",
	"Hello {FIRST}, your appointment in {CITY} is confirmed.",
	"Author: {PERSON}",
	"The house on {STREET} in {CITY} was sold to {PERSON}.",
	"I spoke with {FIRST} from {ORG} about the delivery to {COUNTRY}.",
	"Kind regards, {FIRST}",
}

// negativeTemplates carry capitalised words that are not names or places.
var negativeTemplates = []string{
	"Explain how Python decorators work.",
	"Write a SQL query that joins Orders and Customers on CustomerID.",
	"What is the difference between TCP and UDP?",
	"Summarize the plot of the movie in three sentences.",
	"The {ORG} annual report is due on {DAY}.",
	"Our {NAT} customers prefer invoices in PDF.",
	"Compare the iPhone and the Galaxy for battery life.",
	"Please review the Terms of Service before Monday.",
	"Write a haiku about Autumn Leaves.",
	"How do I configure Kubernetes Ingress with TLS?",
	"Give me a recipe for Pad Thai with Tofu.",
	"Is JavaScript or TypeScript better for a large React project?",
	"The Quarterly Business Review starts at 10 AM on {DAY}.",
	"Explain the First Law of Thermodynamics.",
	"List the Planets of the Solar System in order.",
	"What did {ORG} announce at its Developer Conference?",
	"Convert this Markdown table to HTML.",
	"Describe the main features of Linux and Windows file systems.",
	"The Board approved the Budget for {MONTH}.",
	"I love Christmas Markets and Hot Chocolate.",
	"How does the Federal Reserve set Interest Rates?",
	"Write unit tests for the UserService class.",
	"Which is faster, PostgreSQL or MySQL, for analytics?",
	"Our Product Manager wants a Roadmap by {MONTH}.",
	"Capital letters in Titles Like This are not names.",
	"The Great Gatsby is a novel about Wealth and Desire.",
	"Install Docker Desktop and open the Settings panel.",
	"Machine Learning and Deep Learning are subfields of Artificial Intelligence.",
	"{ORG} is hiring a Senior Data Scientist.",
	"Happy New Year from the Customer Success Team!",
	"Wisdom, Courage and Patience are virtues.",
	"Read Chapter Seven before the Midterm Exam.",
	"Use the Export button in Google Sheets.",
	"Mercury, Venus and Mars are rocky planets.",
	"The Renaissance began in the fourteenth century.",
	"Order Status: Shipped. Tracking Number pending.",
	"SELECT Name, Email FROM Users JOIN Accounts ON Users.Id = Accounts.UserId;",
	"Create a React component called UserProfile with Props and State.",
	"The Customers table has columns Id, Name and Country.",
	"Merge the Feature branch into Main after Code Review.",
	"Our Sales and Marketing departments meet every Tuesday.",
	"Compare Excel, Numbers and Google Sheets for Pivot Tables.",
	"Summarize the Executive Summary and the Risk Factors sections.",
	"Explain the Observer and Factory design patterns in Java.",
	"Set Retention Policy to 30 days in the Admin Console.",
	"The Invoice, Receipt and Purchase Order templates are in Drive.",
	"Add a Dark Mode toggle to the Settings page.",
	"Which Cloud Provider offers the cheapest Object Storage?",
}

var slotRe = regexp.MustCompile(`\{\{?([a-zA-Z_0-9]+)\}?\}`)

type filler struct {
	rng  *rand.Rand
	ids  []identity
	orgs []string
	nats []string
}

func (f *filler) pick(test bool) identity {
	for {
		id := f.ids[f.rng.IntN(len(f.ids))]
		if id.test == test {
			return id
		}
	}
}

// fill expands a template; slots named in entitySlots become spans.
func (f *filler) fill(tmpl string, test bool) (string, []span) {
	a, b := f.pick(test), f.pick(test)
	var sb strings.Builder
	var spans []span
	last := 0
	used := map[string]int{}
	for _, m := range slotRe.FindAllStringSubmatchIndex(tmpl, -1) {
		sb.WriteString(tmpl[last:m[0]])
		last = m[1]
		name := strings.ToLower(tmpl[m[2]:m[3]])
		id := a
		if strings.HasSuffix(name, "2") {
			id, name = b, strings.TrimSuffix(name, "2")
		}
		used[name]++
		if used[name] > 1 {
			id = b
		}
		val, label := f.value(name, id)
		st := sb.Len()
		sb.WriteString(val)
		if label != "" && val != "" {
			spans = append(spans, span{label, st, sb.Len()})
		}
	}
	sb.WriteString(tmpl[last:])
	return sb.String(), spans
}

func (f *filler) value(slot string, id identity) (string, string) {
	r := f.rng
	full := id.given + " " + id.surname
	if r.IntN(5) == 0 && id.middle != "" {
		full = id.given + " " + id.middle + ". " + id.surname
	}
	switch slot {
	case "person", "name", "name_female", "name_male":
		return full, "PERSON"
	case "first_name", "first_name_male", "first_name_female", "first_name_nonbinary", "first":
		return id.given, "PERSON"
	case "last_name", "last_name_male", "last_name_female", "last":
		return id.surname, "PERSON"
	case "city":
		return id.city, "LOCATION"
	case "country":
		return id.country, "LOCATION"
	case "state":
		return id.stateFull, "LOCATION"
	case "state_abbr":
		return id.state, "LOCATION"
	case "address":
		switch r.IntN(3) {
		case 0:
			return id.street + ", " + id.city + ", " + id.state + " " + id.zip, "LOCATION"
		case 1:
			return id.street + "\n" + id.city + " " + id.zip + "\n" + id.country, "LOCATION"
		}
		return id.street + ", " + id.city, "LOCATION"
	case "street_name", "street":
		s := strings.TrimLeft(id.street, "0123456789 ")
		if s == "" {
			s = id.street
		}
		return s, "LOCATION"
	case "building_number":
		return fmt.Sprint(1 + r.IntN(999)), "LOCATION"
	case "secondary_address":
		return fmt.Sprintf("Apt. %d", 1+r.IntN(900)), "LOCATION"
	case "postcode", "zipcode":
		return id.zip, ""
	case "organization", "org":
		return f.orgs[r.IntN(len(f.orgs))], ""
	case "nationality", "nat", "nation_woman", "nation_man", "nation_plural":
		return f.nats[r.IntN(len(f.nats))], ""
	case "email":
		return id.email, ""
	case "phone_number", "phone":
		return id.phone, ""
	case "credit_card_number":
		return fmt.Sprintf("4%015d", r.Int64N(1e15)), ""
	case "iban":
		return fmt.Sprintf("DE%020d", r.Int64N(1e18)), ""
	case "ssn":
		return fmt.Sprintf("%03d-%02d-%04d", 100+r.IntN(600), 1+r.IntN(98), 1+r.IntN(9998)), ""
	case "ip_address":
		return fmt.Sprintf("%d.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256)), ""
	case "url":
		return "https://www." + strings.ToLower(strings.ReplaceAll(id.surname, " ", "")) + ".com", ""
	case "age", "num":
		return fmt.Sprint(18 + r.IntN(70)), ""
	case "year":
		return fmt.Sprint(1950 + r.IntN(75)), ""
	case "date_time", "date_of_birth":
		return fmt.Sprintf("%d/%d/%d", 1+r.IntN(12), 1+r.IntN(28), 1950+r.IntN(70)), ""
	case "day_of_week", "day":
		return []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}[r.IntN(7)], ""
	case "month":
		return []string{"January", "March", "April", "June", "August", "October", "December"}[r.IntN(7)], ""
	case "job":
		return []string{"teacher", "nurse", "software engineer", "accountant"}[r.IntN(4)], ""
	case "prefix", "prefix_male", "prefix_female":
		return []string{"Mr.", "Mrs.", "Ms.", "Dr."}[r.IntN(4)], ""
	case "us_driver_license":
		return fmt.Sprintf("D%07d", r.IntN(1e7)), ""
	}
	return slot, ""
}

// generate builds the dataset: Presidio's synthetic texts, Presidio's
// templates filled with FakeNameGenerator identities, and Warden's own
// chat-style and negative templates. Test examples use held-out templates
// and held-out identities.
func generate(data string, seed uint64) ([]example, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out, err := presidioSynth(data)
	if err != nil {
		return nil, err
	}
	raw := filepath.Join(data, "presidio-research/presidio_evaluator/data_generator/raw_data")
	ids, err := readIdentities(data)
	if err != nil {
		return nil, err
	}
	orgs, err := readLines(filepath.Join(raw, "companies_and_organizations.csv"))
	if err != nil {
		return nil, err
	}
	natRows, err := readLines(filepath.Join(raw, "nationalities.csv"))
	if err != nil {
		return nil, err
	}
	var nats []string
	for _, l := range natRows[1:] {
		if p := strings.Split(l, ","); len(p) > 1 {
			nats = append(nats, strings.ToUpper(p[1][:1])+p[1][1:])
		}
	}
	tmpls, err := readLines(filepath.Join(raw, "templates.txt"))
	if err != nil {
		return nil, err
	}
	f := &filler{rng: rng, ids: ids, orgs: orgs[1:], nats: nats}
	// Presidio templates: template i keeps Presidio's template id (its line).
	for i, t := range tmpls {
		sp := splitOf(i)
		n := 40
		if sp != "train" {
			n = 10
		}
		for k := 0; k < n; k++ {
			text, spans := f.fill(t, sp == "test")
			out = append(out, example{Text: text, Spans: spans, Source: "presidio-templates+fakenamegenerator", Split: sp})
		}
	}
	for i, t := range ownTemplates {
		sp := splitOf(i)
		n := 80
		if sp != "train" {
			n = 15
		}
		for k := 0; k < n; k++ {
			text, spans := f.fill(t, sp == "test")
			out = append(out, example{Text: text, Spans: spans, Source: "warden-templates", Split: sp})
		}
	}
	for i, t := range negativeTemplates {
		sp := splitOf(i)
		n := 20
		if sp != "train" {
			n = 5
		}
		for k := 0; k < n; k++ {
			text, _ := f.fill(t, sp == "test")
			out = append(out, example{Text: text, Source: "warden-negatives", Split: sp})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Split < out[j].Split })
	return out, nil
}

// commonWords builds the tagger's lexicon of common words from GSM8K's
// training questions and answers (benign English, MIT): words seen in lower
// case at least three times and more often in lower case than capitalised
// inside a sentence. Names are rarely written in lower case, so the list
// holds the words that, capitalised, are usually sentence starts or title
// case rather than names. It is stored in the model manifest.
func commonWords(data string) ([]string, error) {
	f, err := os.Open(filepath.Join(data, "gsm8k/grade_school_math/data/train.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lower, capMid := map[string]int{}, map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct{ Question, Answer string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, err
		}
		text := r.Question + " " + r.Answer
		toks := nerfeat.Tokenize(text, nil)
		for i, t := range toks {
			w := text[t.Start:t.End]
			lw := strings.ToLower(w)
			if len(lw) < 2 || strings.ContainsAny(lw, "0123456789") {
				continue
			}
			switch {
			case w == lw:
				lower[lw]++
			case !nerfeat.SentenceStart(text, toks, i):
				capMid[lw]++
			}
		}
	}
	var out []string
	for w, n := range lower {
		if n >= 3 && n > capMid[w] {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out, sc.Err()
}
