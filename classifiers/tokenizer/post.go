package tokenizer

import (
	"encoding/json"
	"fmt"
)

// template is the post-processor's shape for a single sequence: special
// tokens before and after the sequence, and the token type ids.
type template struct {
	prefix, suffix         []int32
	prefixType, suffixType []int32
	seqType                int32
}

// tokenRef is ["[CLS]", 101] in BertProcessing and RobertaProcessing.
type tokenRef struct {
	Token string
	ID    int32
}

func (r *tokenRef) UnmarshalJSON(b []byte) error {
	var pair [2]json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil {
		return err
	}
	if err := json.Unmarshal(pair[0], &r.Token); err != nil {
		return err
	}
	return json.Unmarshal(pair[1], &r.ID)
}

func parsePostProcessor(raw json.RawMessage) (template, error) {
	if isNull(raw) {
		return template{}, nil
	}
	var h typed
	if err := json.Unmarshal(raw, &h); err != nil {
		return template{}, err
	}
	switch h.Type {
	case "BertProcessing", "RobertaProcessing":
		var c struct {
			Sep tokenRef `json:"sep"`
			Cls tokenRef `json:"cls"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return template{}, err
		}
		return template{prefix: []int32{c.Cls.ID}, suffix: []int32{c.Sep.ID}, prefixType: []int32{0}, suffixType: []int32{0}}, nil
	case "ByteLevel":
		return template{}, nil
	case "TemplateProcessing":
		var c struct {
			Single []struct {
				SpecialToken *struct {
					ID     string `json:"id"`
					TypeID int32  `json:"type_id"`
				} `json:"SpecialToken"`
				Sequence *struct {
					ID     string `json:"id"`
					TypeID int32  `json:"type_id"`
				} `json:"Sequence"`
			} `json:"single"`
			Special map[string]struct {
				IDs []int32 `json:"ids"`
			} `json:"special_tokens"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return template{}, err
		}
		var t template
		seen := false
		for _, it := range c.Single {
			switch {
			case it.Sequence != nil:
				if it.Sequence.ID != "A" || seen {
					return template{}, fmt.Errorf("single template: sequence %q", it.Sequence.ID)
				}
				seen = true
				t.seqType = it.Sequence.TypeID
			case it.SpecialToken != nil:
				sp, ok := c.Special[it.SpecialToken.ID]
				if !ok {
					return template{}, fmt.Errorf("single template: special token %q is not defined", it.SpecialToken.ID)
				}
				for _, id := range sp.IDs {
					if seen {
						t.suffix = append(t.suffix, id)
						t.suffixType = append(t.suffixType, it.SpecialToken.TypeID)
					} else {
						t.prefix = append(t.prefix, id)
						t.prefixType = append(t.prefixType, it.SpecialToken.TypeID)
					}
				}
			}
		}
		if !seen {
			return template{}, fmt.Errorf("single template has no sequence A")
		}
		return t, nil
	case "Sequence":
		var c struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return template{}, err
		}
		var t template
		for i, r := range c.Processors {
			p, err := parsePostProcessor(r)
			if err != nil {
				return template{}, fmt.Errorf("sequence[%d]: %w", i, err)
			}
			// p wraps what the earlier processors produced.
			t = template{
				prefix:     append(append([]int32(nil), p.prefix...), t.prefix...),
				prefixType: append(append([]int32(nil), p.prefixType...), t.prefixType...),
				suffix:     append(append([]int32(nil), t.suffix...), p.suffix...),
				suffixType: append(append([]int32(nil), t.suffixType...), p.suffixType...),
				seqType:    t.seqType + p.seqType,
			}
		}
		return t, nil
	}
	return template{}, fmt.Errorf("%w: post_processor %q", ErrUnsupported, h.Type)
}
