// Package archtest holds no code: its test keeps the dependency direction
// of DESIGN.md §3 (packages point one way, along the data flow).
package archtest
