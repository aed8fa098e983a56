package hashgram

import "strings"

// HTML markup (Config.Markup). Pasted documentation, web pages and code
// reach a guard wrapped in tags, and a model trained on plain prose reads
// the tags themselves as evidence: "<li><code>" looked like an indirect
// injection to the injection model. With Markup on, the featurizer reads a
// tag of a common HTML element as white space, keeping the values of its
// attributes as text (so nothing that a tag carries is hidden: alt text,
// titles, data-* values, even an injection in an attribute, are still read),
// and the delimiters of an HTML comment as white space, keeping the
// comment's text.
//
// Only elements of page structure and text formatting are read this way.
// Tags that are not HTML ("<system>", "<instructions>", "<|im_start|>"), the
// chat-template token "<s>", and elements whose tags carry behaviour rather
// than layout (script, style, iframe, form fields and buttons) stay text: a
// fake role tag is evidence of an injection.

// markupElements are the element names (lower case) whose tags are read as
// white space.
var markupElements = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Fields(`a abbr address article aside b bdi bdo big blockquote body br
		caption center cite code col colgroup dd del details dfn div dl dt em figcaption figure font
		footer h1 h2 h3 h4 h5 h6 head header hr html i img ins kbd li main mark meta nav ol p pre q
		samp section small span strong sub summary sup table tbody td tfoot th thead time title tr
		tt u ul var wbr`) {
		m[e] = true
	}
	return m
}()

// maxTag bounds the bytes of one tag, attributes included; a longer run
// between "<" and ">" is text.
const maxTag = 1024

// hasMarkup reports whether text may hold markup Markup would read.
func hasMarkup(text string) bool { return strings.IndexByte(text, '<') >= 0 }

// stripMarkup appends text to dst with every tag of a markupElements
// element replaced by a space followed by its attribute values (each
// followed by a space), "<!DOCTYPE ...>" by a space, and the "<!--" and
// "-->" of each comment by spaces. Everything else is copied as it is. It
// runs in time linear in len(text): the scan of a tag that is not one stops
// at the next "<", and a comment's end is searched for once (after it the
// search resumes; when there is none, no later comment can have one).
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
		if n, ok := tagAt(text[i:min(len(text), i+maxTag)]); ok {
			dst = append(dst, ' ')
			dst = appendAttrValues(dst, text[i:i+n])
			i += n
			continue
		}
		dst = append(dst, '<')
		i++
	}
	return dst
}

func isTagSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isAttrNameByte(c byte) bool {
	return isNameByte(c) || c == '-' || c == '_' || c == ':' || c == '.' || c == '@'
}

// tagAt reports whether s starts with a tag that stripMarkup reads as white
// space ("<name attrs>", "<name/>", "</name>" of a markupElements element,
// or "<!DOCTYPE ...>"), and its length in bytes.
func tagAt(s string) (int, bool) {
	if len(s) < 3 || s[0] != '<' {
		return 0, false
	}
	if len(s) > 9 && strings.EqualFold(s[1:9], "!doctype") {
		k := strings.IndexAny(s[9:], "<>")
		if k < 0 || s[9+k] != '>' {
			return 0, false
		}
		return 9 + k + 1, true
	}
	i := 1
	closing := s[i] == '/'
	if closing {
		i++
	}
	start := i
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	if i == start || i-start > 10 || !markupElements[strings.ToLower(s[start:i])] {
		return 0, false
	}
	if closing {
		for i < len(s) && isTagSpace(s[i]) {
			i++
		}
		if i < len(s) && s[i] == '>' {
			return i + 1, true
		}
		return 0, false
	}
	for i < len(s) {
		sp := i
		for i < len(s) && isTagSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return 0, false
		}
		switch {
		case s[i] == '>':
			return i + 1, true
		case s[i] == '/' && i+1 < len(s) && s[i+1] == '>':
			return i + 2, true
		}
		if i == sp {
			return 0, false // attributes are separated by white space
		}
		n := 0
		for i < len(s) && isAttrNameByte(s[i]) {
			i++
			n++
		}
		if n == 0 {
			return 0, false
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
			return 0, false
		}
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
				return 0, false
			}
			i = j + 1 + k + 1
		default:
			k := j
			for k < len(s) && !isTagSpace(s[k]) && !strings.ContainsRune("\"'=<>`", rune(s[k])) {
				k++
			}
			if k == j {
				return 0, false
			}
			i = k
		}
	}
	return 0, false
}

// appendAttrValues appends the attribute values of tag (as tagAt accepted
// it), each followed by a space.
func appendAttrValues(dst []byte, tag string) []byte {
	i := 1
	for i < len(tag) && tag[i] != ' ' && !isTagSpace(tag[i]) && tag[i] != '>' && tag[i] != '/' {
		i++
	}
	for i < len(tag) {
		k := strings.IndexByte(tag[i:], '=')
		if k < 0 {
			return dst
		}
		j := i + k + 1
		for j < len(tag) && isTagSpace(tag[j]) {
			j++
		}
		if j >= len(tag) {
			return dst
		}
		var v string
		switch q := tag[j]; q {
		case '"', '\'':
			e := strings.IndexByte(tag[j+1:], q)
			v, i = tag[j+1:j+1+e], j+1+e+1
		default:
			e := j
			for e < len(tag) && !isTagSpace(tag[e]) && tag[e] != '>' && !(tag[e] == '/' && e+1 < len(tag) && tag[e+1] == '>') {
				e++
			}
			v, i = tag[j:e], e
		}
		if v != "" {
			dst = append(dst, v...)
			dst = append(dst, ' ')
		}
	}
	return dst
}
