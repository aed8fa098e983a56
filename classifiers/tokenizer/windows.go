package tokenizer

import "fmt"

// Windows tokenises text and cuts it into model inputs of at most maxLen ids,
// special tokens included, that overlap by stride tokens of text. A text that
// fits gives one window (an empty text gives the special tokens alone).
func (t *Tokenizer) Windows(text string, maxLen, stride int) ([][]int32, error) {
	w := maxLen - t.NumSpecial()
	if w <= 0 || stride < 0 || stride >= w {
		return nil, fmt.Errorf("tokenizer: window of %d ids with %d special tokens and stride %d leaves no room to advance", maxLen, t.NumSpecial(), stride)
	}
	s := t.pool.Get().(*scratch)
	ids := t.appendIDs(nil, text, s)
	t.pool.Put(s)
	var out [][]int32
	for start := 0; ; start += w - stride {
		end := min(start+w, len(ids))
		win := make([]int32, 0, end-start+t.NumSpecial())
		win = append(win, t.post.prefix...)
		win = append(win, ids[start:end]...)
		win = append(win, t.post.suffix...)
		out = append(out, win)
		if end == len(ids) {
			return out, nil
		}
	}
}

// AppendTypeIDs appends the token type ids of a window of n ids (special
// tokens included) to dst.
func (t *Tokenizer) AppendTypeIDs(dst []int32, n int) []int32 {
	dst = append(dst, t.post.prefixType...)
	for range n - t.NumSpecial() {
		dst = append(dst, t.post.seqType)
	}
	return append(dst, t.post.suffixType...)
}
