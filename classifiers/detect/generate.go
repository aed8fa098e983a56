package detect

// gitleaks_rules.go is generated from ../shared/data/gitleaks (MIT licence,
// attribution in the file) and committed, so the binary runs without it.
//go:generate go run ./internal/gitleaksgen -out gitleaks_rules.go
