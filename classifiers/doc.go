// Package classifiers scores text with ONNX models run in-process by ONNX
// Runtime (through github.com/yalue/onnxruntime_go).
//
// A model lives in a directory with a manifest.json (name, version, labels,
// thresholds, sha256, input/output contract, training sources and metrics)
// and its ONNX file. Load refuses a model whose checksum or tensor shapes do
// not match its manifest. A Suite runs every loaded model over a text and
// merges their scores into one map from category to calibrated probability.
//
// ONNX Runtime is a C library loaded at run time: call Init with the path of
// libonnxruntime.so once per process before loading models.
package classifiers
