package classifiers

import "context"

// LogitsForTest runs windows of token ids through the model in one padded
// batch and returns the raw logits, row-major.
func (m *HFModel) LogitsForTest(ctx context.Context, wins [][]int32) ([]float32, error) {
	return m.run(ctx, wins)
}
