// Package ner ships Warden's PERSON/LOCATION tagger: a small convolutional
// token classifier over hashed word features (classifiers/detect/nerfeat),
// trained by models/nertrain from the Presidio synthetic data. FS holds
// manifest.json and ner.onnx; pass it to detect.Options{NERModelFS: ner.FS,
// NERDir: "."}. The detector verifies the sha256 in the manifest at load.
package ner

import "embed"

// FS is the embedded model directory (manifest.json, ner.onnx).
//
//go:embed manifest.json ner.onnx
var FS embed.FS
