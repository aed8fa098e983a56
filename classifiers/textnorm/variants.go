package textnorm

import (
	"slices"
	"unicode/utf8"
)

// Signals raised by Derive, one per kind of transformation that produced a
// variant. Like Normalize's signals they are evidence of obfuscation.
const (
	// SignalBase64: a base64 segment decoded to text.
	SignalBase64 = "base64"
	// SignalHex: a hex-encoded segment ("69676e...", "\x69\x67", "%69")
	// decoded to text.
	SignalHex = "hex"
	// SignalRot13: a run of words read as English only after ROT13.
	SignalRot13 = "rot13"
	// SignalSpacedLetters: letters spaced out ("i g n o r e", "i.g.n.o.r.e")
	// were joined into words.
	SignalSpacedLetters = "spaced_letters"
	// SignalHomoglyphs: look-alike letters from other scripts or styles
	// (Cyrillic "о", Greek "ο", small capitals) inside Latin words were
	// folded to ASCII.
	SignalHomoglyphs = "homoglyphs"
	// SignalLeetspeak: digits or symbols standing for letters ("1gn0r3")
	// were read as letters.
	SignalLeetspeak = "leetspeak"
	// SignalEscapes: HTML character references ("&#105;&#103;") or
	// backslash escapes of code points ("\u0069\u0067") were decoded.
	SignalEscapes = "escapes"
	// SignalReversed: a run of words written backwards (".tpmorp
	// metsys") was read forwards.
	SignalReversed = "reversed"
	// SignalJoinedWords: words run together were split: joined by a
	// separator ("ignore.all.previous", "ignore_all_previous"), separated
	// by emoji, or written without spaces ("ignoreallprevious").
	SignalJoinedWords = "joined_words"
	// SignalDiacritics: diacritics piled on Latin letters ("Íǵńóŕé", or
	// combining marks stacked on them) were removed.
	SignalDiacritics = "diacritics"
	// SignalSplitPayload: quoted parts that the text asks to be put
	// together ('a = "…" b = "…" z = a + b', 'Part 1 is "…", Part 2 is
	// "…"') were assembled and scored as a text of their own.
	SignalSplitPayload = "split_payload"
	// SignalCipher: a run of words read as English only after a Caesar
	// shift other than 13 or Atbash ("Zkdw duh wkh..."), Morse code
	// (".-- .... .- -"), Braille ("⠊⠛⠝⠕⠗⠑") or the NATO spelling alphabet
	// ("India Golf November Oscar Romeo Echo") was decoded.
	SignalCipher = "cipher"
	// SignalEncoding: a base32, Ascii85, Base85 or uuencoded segment
	// decoded to text.
	SignalEncoding = "encoding"
)

// MaxVariants is the most texts Derive returns: the decoded text, the
// decoded segments alone (when the text had more than them), the
// de-obfuscated one and, for spaced-out letters, the letters joined
// without word segmentation; an assembled split payload takes a place
// left free.
const MaxVariants = 4

// decodeRounds bounds nested encodings (base64 of hex, ...).
const decodeRounds = 2

// Variants are the texts derived from one normalised text, to be scored
// beside it.
type Variants struct {
	// Texts holds at most MaxVariants texts, each valid UTF-8 and no longer
	// than MaxVariantBytes of the original: the text with its encoded
	// segments decoded (when there were any); the decoded segments alone,
	// one per line (when the text had more than them: a payload is judged
	// on its own too, not only diluted by the text that carries it, e.g.
	// "Here is the data you asked for: <base64>"); then the decoded text
	// (or the original) with homoglyphs folded, spaced letters joined,
	// words run together split, diacritics stripped and leetspeak undone
	// (when any of these applied); then, if there is
	// room, the parts of a split payload assembled.
	Texts []string
	// Signals name the transformations that applied (Signal* constants,
	// in MergeSignals order), plus Normalize's signals for decoded text.
	Signals []string
}

// MaxVariantBytes is the longest variant of a text of n bytes: decoding
// only shrinks text, but the decoded text is normalised (NFKC can expand)
// and is cut at this length.
func MaxVariantBytes(n int) int { return n + 64 }

// Derive computes the variants of a normalised text (Normalize's output).
// It runs in time linear in len(text), and returns the same variants for the
// same text: whole and streamed checks score the same windows the same way.
func Derive(text string) Variants {
	var v Variants
	var b64, hex, rot, spaced, homo, leet, esc, rev, joined, dia, ciph, split, other bool
	cur := text
	decoded := false
	payload := "" // the decoded segments alone
	c := takeCensus(text)
	if c.escapes >= minEscapes {
		if next, ok := decodeEscapes(cur); ok {
			esc, decoded, cur = true, true, next
			c = takeCensus(cur)
		}
	}
	// Letter codes and byte encodings that base64 and hex do not cover;
	// the decoded pieces alone are a payload, as for base64.
	for _, d := range []struct {
		on     bool
		decode func(string) (string, string, bool)
		flag   *bool
	}{
		{maybeMorse(cur), decodeMorse, &ciph},
		{c.braille >= minBraille, decodeBraille, &ciph},
		{c.nato >= minNATO, decodeNATO, &ciph},
		{c.encoded, decodeEncodings, &other},
		{true, decodeUU, &other},
	} {
		if !d.on {
			continue
		}
		if next, pay, ok := d.decode(cur); ok {
			*d.flag, decoded, cur = true, true, next
			payload = joinPayload(payload, pay)
			c = takeCensus(cur)
		}
	}
	for round := 0; round < decodeRounds && c.encoded; round++ {
		next, pay, b, h := decodeSegments(cur)
		if !b && !h {
			break
		}
		if round == 0 {
			payload = joinPayload(payload, pay)
		} else {
			payload, _, _, _ = decodeSegments(payload)
		}
		b64, hex, decoded, cur = b64 || b, hex || h, true, next
		c = takeCensus(cur)
	}
	if payload == cur { // nothing but encoded segments
		payload = ""
	}
	// Words that start no common word, in a row or many of them: a
	// cipher, or text written backwards.
	if c.strange >= 2 || (c.odd >= 2 && 4*c.odd >= c.words) {
		if next, ok := decodeRot13(cur); ok {
			rot, decoded, cur = true, true, next
			c = takeCensus(cur)
			if p, ok := decodeRot13(payload); ok {
				payload = p
			}
		} else {
			// Reversed text: more words look English read backwards than
			// forwards. Other ciphers: a substitution that makes the odd
			// words' letters clearly more English. Text in another
			// language rarely passes either test, so it pays little more.
			if c.backward > c.words-c.odd {
				if next, ok := decodeReversed(cur); ok {
					rev, decoded, cur = true, true, next
					c = takeCensus(cur)
				}
			}
			if !rev {
				if m, ok := likelySubstitution(cur); ok {
					if next, ok := decodeSubstitution(cur, m); ok {
						ciph, decoded, cur = true, true, next
						c = takeCensus(cur)
					}
				}
			}
		}
	}
	var normSig []string
	if decoded {
		n := Normalize(cur)
		cur, normSig = n.Text, n.Signals
		cur = truncate(cur, MaxVariantBytes(len(text)))
		v.Texts = append(v.Texts, cur)
		if payload != "" {
			if p := truncate(Normalize(payload).Text, MaxVariantBytes(len(text))); p != cur && p != "" {
				v.Texts = append(v.Texts, p)
			}
		}
	}
	local := cur
	joinedLetters := ""
	if c.chain >= minSpacedLetters {
		if local, spaced = joinSpaced(local); spaced {
			joinedLetters = local
			c = takeCensus(local)
		}
	}
	if c.marks >= minMarks || (c.accented >= minAccented && c.accented >= c.letters) {
		if local, dia = stripMarks(local); dia {
			c = takeCensus(local)
		}
	}
	if cues := c.cues(); cues.any() {
		local, joined = splitJoined(local, cues)
	}
	if c.nonASCII {
		local, homo = foldHomoglyphs(local)
	}
	if c.leet || homo {
		local, leet = undoLeet(local)
	}
	if spaced || homo || leet || dia || joined {
		v.Texts = append(v.Texts, truncate(local, MaxVariantBytes(len(text))))
	}
	if spaced {
		// When words were found by segmenting, also the letters joined
		// without it: other languages and words the English list lacks
		// keep their n-grams.
		if raw, ok := joinSpacedWith(cur, false); ok && raw != joinedLetters {
			if raw = truncate(raw, MaxVariantBytes(len(text))); !contains(v.Texts, raw) {
				v.Texts = append(v.Texts, raw)
			}
		}
	}
	// A payload split into quoted parts, assembled (from the decoded
	// text), when there is room for it.
	if len(v.Texts) < MaxVariants && maybeSplit(cur) {
		if a, ok := assembleSplit(cur); ok {
			if a = truncate(Normalize(a).Text, MaxVariantBytes(len(text))); a != "" && a != text && !contains(v.Texts, a) {
				v.Texts = append(v.Texts, a)
				split = true
			}
		}
	}
	for _, s := range []struct {
		on   bool
		name string
	}{{b64, SignalBase64}, {hex, SignalHex}, {rot, SignalRot13}, {spaced, SignalSpacedLetters}, {homo, SignalHomoglyphs},
		{leet, SignalLeetspeak}, {esc, SignalEscapes}, {rev, SignalReversed}, {joined, SignalJoinedWords}, {dia, SignalDiacritics},
		{ciph, SignalCipher}, {split, SignalSplitPayload}, {other, SignalEncoding}} {
		if s.on {
			v.Signals = append(v.Signals, s.name)
		}
	}
	if len(normSig) > 0 {
		v.Signals = MergeSignals(v.Signals, normSig)
	}
	return v
}

// joinPayload adds decoded pieces to the payload, one per line.
func joinPayload(payload, more string) string {
	if payload == "" {
		return more
	}
	return payload + "\n" + more
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Signals lists every signal Normalize and Derive raise, in the order
// MergeSignals keeps.
var Signals = []string{SignalInvisible, SignalBidi, SignalTagChars, SignalVariationSelectors,
	SignalBase64, SignalHex, SignalRot13, SignalSpacedLetters, SignalHomoglyphs, SignalLeetspeak,
	SignalEscapes, SignalReversed, SignalJoinedWords, SignalDiacritics, SignalCipher, SignalSplitPayload, SignalEncoding}

// MergeSignals returns the union of signal lists in a fixed order (Signals
// first, any other names after them, sorted), without duplicates: the
// checked text's signals are the same however its pieces were scored.
func MergeSignals(lists ...[]string) []string {
	var out, other []string
	for _, s := range Signals {
		for _, l := range lists {
			if contains(l, s) {
				out = append(out, s)
				break
			}
		}
	}
	for _, l := range lists {
		for _, s := range l {
			if !contains(Signals, s) && !contains(other, s) {
				other = append(other, s)
			}
		}
	}
	slices.Sort(other)
	return append(out, other...)
}
