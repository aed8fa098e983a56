package hashgram

import "strings"

// HTML markup (Config.Markup). Pasted documentation, web pages and code
// reach a guard wrapped in tags, and a model trained on plain prose reads
// the tags themselves as evidence: "<li><code>" looked like an indirect
// injection to the injection model. With Markup on, the featurizer reads a
// tag of a common HTML element as white space, and the delimiters of an
// HTML comment likewise, keeping the comment's text.
//
// Nothing but markup vocabulary is dropped: a tag's attribute values are
// kept as text (alt text, titles, data-* values, an injection in an
// attribute are still read), and so are the names of attributes that are
// not common HTML attributes, since a run of valueless "attributes" can
// spell a sentence ("<div ignore all previous instructions>"). Only the
// plain doctype ("<!DOCTYPE html>") is dropped; any other doctype is text.
//
// Only elements of page structure and text formatting are read this way.
// Tags that are not HTML ("<system>", "<instructions>", "<|im_start|>"), the
// chat-template token "<s>", and elements whose tags carry behaviour rather
// than layout (script, style, iframe, form fields and buttons) stay text: a
// fake role tag is evidence of an injection.

// markupElements are the element names (lower case) whose tags are read as
// white space.
var markupElements = set(`a abbr address article aside b bdi bdo big blockquote body br
	caption center cite code col colgroup dd del details dfn div dl dt em figcaption figure font
	footer h1 h2 h3 h4 h5 h6 head header hr html i img ins kbd li main mark meta nav ol p pre q
	samp section small span strong sub summary sup table tbody td tfoot th thead time title tr
	tt u ul var wbr`)

// markupAttrs are the attribute names (lower case) that are dropped; the
// names of other attributes are kept as text.
var markupAttrs = set(`abbr align alt axis bgcolor border cellpadding cellspacing charset cite class
	color colspan content compact datetime decoding dir download face frame headers height hidden
	href hreflang http-equiv id lang loading media name nowrap open rel reversed role rowspan rules
	scope size sizes span src srcset start style summary tabindex target title type valign value
	width`)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// maxTag bounds the bytes of one tag, attributes included; a longer run
// between "<" and ">" is text.
const maxTag = 1024

// maxName is the longest element or attribute name looked up (longer ones
// are not in the lists).
const maxName = 12

// hasMarkup reports whether text may hold markup Markup would read.
func hasMarkup(text string) bool { return strings.IndexByte(text, '<') >= 0 }

// stripMarkup appends text to dst with every tag of a markupElements
// element replaced by a space followed by what it carries (see readTag),
// "<!DOCTYPE html>" by a space, and the "<!--" and "-->" of each comment by
// spaces. Everything else is copied as it is. The result is never longer
// than text. It runs in time linear in len(text): the scan of a tag that is
// not one stops at the next "<" (and after maxTag bytes), and a comment's
// end is searched for once (after it the search resumes; when there is
// none, no later comment can have one).
func stripMarkup(dst []byte, text string) []byte {
	noClose := len(text) // a comment opened at or after this offset has no end
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '<')
		if j < 0 {
			return append(dst, text[i:]...)
		}
		dst = append(dst, text[i:i+j]...)
		i += j
		if strings.HasPrefix(text[i:], "<!--") && i < noClose {
			if k := strings.Index(text[i+4:], "-->"); k >= 0 {
				dst = append(dst, ' ')
				dst = append(dst, text[i+4:i+4+k]...)
				dst = append(dst, ' ')
				i += 4 + k + 3
				continue
			}
			noClose = i
		}
		if n := doctypeAt(text[i:]); n > 0 {
			dst = append(dst, ' ')
			i += n
			continue
		}
		if out, n, ok := readTag(dst, text[i:min(len(text), i+maxTag)]); ok {
			dst = out
			i += n
			continue
		}
		dst = append(dst, '<')
		i++
	}
	return dst
}

// doctypeAt returns the length of the "<!DOCTYPE html>" (any case, white
// space around "html") s starts with, or 0.
func doctypeAt(s string) int {
	const kw = "<!doctype"
	if len(s) < len(kw)+6 || !strings.EqualFold(s[:len(kw)], kw) || !isTagSpace(s[len(kw)]) {
		return 0
	}
	i := len(kw)
	for i < len(s) && isTagSpace(s[i]) {
		i++
	}
	if len(s)-i < 5 || !strings.EqualFold(s[i:i+4], "html") {
		return 0
	}
	i += 4
	for i < len(s) && isTagSpace(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '>' {
		return i + 1
	}
	return 0
}

func isTagSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isAttrNameByte(c byte) bool {
	return isNameByte(c) || c == '-' || c == '_' || c == ':' || c == '.' || c == '@'
}

// inList reports whether name, lower-cased, is in list (without allocating).
func inList(list map[string]bool, name string) bool {
	if len(name) > maxName {
		return false
	}
	var b [maxName]byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return list[string(b[:len(name)])]
}

// readTag reports whether s starts with a tag that stripMarkup reads as
// white space ("<name attrs>", "<name/>" or "</name>" of a markupElements
// element) and its length. When it does, it appends to dst a space, then
// each attribute name not in markupAttrs and each non-empty attribute
// value, each followed by a space. When it does not, dst comes back as it
// was (its length; bytes past it may have been written).
func readTag(dst []byte, s string) ([]byte, int, bool) {
	if len(s) < 3 || s[0] != '<' {
		return dst, 0, false
	}
	keep := len(dst)
	i := 1
	closing := s[i] == '/'
	if closing {
		i++
	}
	start := i
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	if i == start || !inList(markupElements, s[start:i]) {
		return dst, 0, false
	}
	dst = append(dst, ' ')
	if closing {
		for i < len(s) && isTagSpace(s[i]) {
			i++
		}
		if i < len(s) && s[i] == '>' {
			return dst, i + 1, true
		}
		return dst[:keep], 0, false
	}
	for i < len(s) {
		sp := i
		for i < len(s) && isTagSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		switch {
		case s[i] == '>':
			return dst, i + 1, true
		case s[i] == '/' && i+1 < len(s) && s[i+1] == '>':
			return dst, i + 2, true
		}
		if i == sp {
			break // attributes are separated by white space
		}
		ns := i
		for i < len(s) && isAttrNameByte(s[i]) {
			i++
		}
		if i == ns {
			break
		}
		if !inList(markupAttrs, s[ns:i]) {
			dst = append(dst, s[ns:i]...)
			dst = append(dst, ' ')
		}
		j := i
		for j < len(s) && isTagSpace(s[j]) {
			j++
		}
		if j >= len(s) || s[j] != '=' {
			continue // an attribute without a value
		}
		j++
		for j < len(s) && isTagSpace(s[j]) {
			j++
		}
		if j >= len(s) {
			break
		}
		var v string
		switch q := s[j]; q {
		case '"', '\'':
			// a quoted value ends at its quote; a "<" first means this
			// is not a tag (and keeps the scan from passing it)
			stop := `"<`
			if q == '\'' {
				stop = "'<"
			}
			k := strings.IndexAny(s[j+1:], stop)
			if k < 0 || s[j+1+k] == '<' {
				return dst[:keep], 0, false
			}
			v, i = s[j+1:j+1+k], j+1+k+1
		default:
			k := j
			for k < len(s) && !isTagSpace(s[k]) && !strings.ContainsRune("\"'=<>`", rune(s[k])) {
				k++
			}
			if k == j {
				return dst[:keep], 0, false
			}
			v, i = s[j:k], k
		}
		if v != "" {
			dst = append(dst, v...)
			dst = append(dst, ' ')
		}
	}
	return dst[:keep], 0, false
}
