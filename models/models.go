// Package models holds Warden's shipped model artefacts: one directory per
// model with a manifest.json and its ONNX file, embedded in the binary.
//
// The artefacts are built from ../shared/data by the training pipeline in
// models/train (run models/train/train.sh; see models/README.md). The
// manifests record sources, splits, metrics, thresholds and licences.
//
//	suite, err := classifiers.LoadAll(models.FS, ".", classifiers.Options{})
package models

import "embed"

// FS holds the shipped classifier model directories (manifest.json +
// model.onnx) that classifiers.LoadAll can load: list a new model here.
// (models/ner is a detector model with its own package and FS.)
//
//go:embed injection/manifest.json injection/model.onnx harm/manifest.json harm/model.onnx
//go:embed suffix/manifest.json suffix/model.onnx
var FS embed.FS
