// Package detect finds personal data and credentials in text: e-mail
// addresses, phone numbers (libphonenumber), payment cards (Luhn and issuer
// ranges), IBANs (mod 97 and country lengths), US social security numbers,
// IPv4 and IPv6 addresses (net/netip), credentials in URLs, private key
// blocks, JSON Web Tokens, the API keys and tokens of the gitleaks rule set
// (ported to Go, see gitleaks_rules.go) and, when a model is loaded, names
// of people and places (a small token-classification ONNX model, see
// models/ner).
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
// half of a secret. Stream does it all: Push a chunk, get back the text
// that is final and the findings in it. Underneath, MaxMatch bounds the
// findings that span white space; Releasable also holds back the trailing
// run of non-space bytes (a token or an address still arriving) and any
// finding that reaches the end of the buffer (a private key block without
// its END line), and LookBehind is the released context kept in front of
// the next scan.
package detect
