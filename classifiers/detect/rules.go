package detect

// wardenRules are Warden's own secret rules, run by the same engine as the
// gitleaks rules (keyword prefilter, entropy, allowlists).
var wardenRules = []ruleSpec{
	{
		// A password assigned in configuration, code or a prompt:
		// password=..., "db_pass": "...", PWD: ... The value must mix
		// letters with digits or symbols; placeholders are allowed.
		ID:       "warden-password-assignment",
		Regex:    `(?i)[\w.-]{0,40}?(?:passw(?:or)?d|passwd|pwd|pass)(?:[\w.-]{0,20})["']?[ \t]{0,3}(?:=|:|=>|:=)[ \t]{0,3}["'\x60]?([^\s"'\x60;,()\[\]{}<>]{6,128})`,
		Entropy:  2.5,
		Keywords: []string{"pass", "pwd"},
		Allow: []allowSpec{
			{Regexes: []string{
				`^[a-zA-Z_.-]+$`,
				`^[0-9]+$`,
				`^\$`, `^%`, `^@`, `^\*+$`, `^x+$`,
				`(?i)changeme|password|passwd|example|redacted|placeholder|your[_-]?|secret_?here|dummy|foobar|hunter2|\.\.\.`,
				`(?i)^(?:true|false|null|none|nil|undefined|required|optional|string|env|input|getpass|os\.|process\.|self\.|this\.)`,
			}},
		},
	},
}
