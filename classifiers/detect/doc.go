// Package detect finds personal data and credentials in text: e-mail
// addresses, phone numbers (libphonenumber), payment cards (Luhn and issuer
// ranges), IBANs (mod 97 and country lengths), US social security numbers,
// IPv4 and IPv6 addresses (net/netip), credentials in URLs, private key
// blocks, JSON Web Tokens, the API keys and tokens of the gitleaks rule set
// (ported to Go, see gitleaks_rules.go) and, when a model is loaded, names
// of people and places (a small token-classification ONNX model, see
// models/ner).
//
// Characters a reader does not see do not hide a value: when the text has
// any that textnorm.Normalize drops (a zero-width space inside an address,
// a NUL inside a key), or fullwidth letters and digits, the rule-based
// detectors also scan a view without them and with the fullwidth forms
// read as ASCII, and map what they find back onto the caller's text
// (seethrough.go). Names are found in the original text only.
//
// Every pattern is RE2 (package regexp) or a hand-written linear scanner;
// the work per byte is bounded whatever the input. Findings carry byte
// offsets into the caller's text, a type, a class ("pii" or "secret"), a
// score (1 for a validated structure, lower for weaker evidence) and the
// name of the rule that matched — never the matched value.
//
// # Secret rules
//
// The gitleaks rules are ported at build time: `go generate` runs
// internal/gitleaksgen over ../shared/data/gitleaks/config/gitleaks.toml
// and writes gitleaks_rules.go (MIT, attribution in the file), which is
// committed, so the binary needs nothing at run time. Keywords feed one
// Aho–Corasick pass; most rules then run anchored at each keyword hit
// (every match starts with a keyword), the rest on merged windows around
// hits. Entropy thresholds, secret groups and allowlists follow gitleaks;
// TestSecretsMatchReference checks the result against running every rule
// over the whole text.
//
// # Streams
//
// A streaming filter must hold back enough text that it never releases
// half of a secret, and no more, or the first words of an answer wait for
// a detector window to fill. Stream does it all: Push a chunk, get back
// the text that is final and the findings in it. Underneath, Releasable
// (or DetectReleasable, which also uses the name tagger's labels) returns
// the release point: the earliest place where a match that is not complete
// could still begin, computed per detector (release.go): the trailing run
// an e-mail address, a number or a token may still extend, a key block
// without its END line, a partial keyword. The secret rules are
// keyword-anchored: a match begins at a keyword (or, for a few rules, at a
// string read off the pattern), so only the text after a keyword whose
// rule can still match is in question, and only once the text reaches the
// rule's secret group is it held (prefix languages of the patterns,
// decided by a lazily built DFA: prefix.go, lazydfa.go,
// release_secrets.go). Ordinary prose is released up to its last word.
// LookBehind is the released context kept in front of the next scan (a
// keyword up to a rule's window before its value), counted as a reader
// sees the text (textnorm.VisibleStart: hidden characters between a
// keyword and its value cost nothing, up to textnorm.HiddenReach windows
// in all). MaxMatch still bounds
// the findings that span white space, for callers without Releasable.

package detect
