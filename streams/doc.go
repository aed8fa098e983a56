// Package streams is Warden's streaming output filter: the filter engine
// (Filter, for in-process use), the OpenAI and Anthropic proxies
// (POST /v1/chat/completions, POST /v1/messages), the generic stream API
// (POST /v1/stream, NDJSON in and out over one HTTP exchange) and a
// scripted demo upstream.
//
// A Filter holds back what may still become part of a match — with
// classifiers/detect, the text from the earliest place where a match that
// is not complete could begin (Releaser), otherwise the detector's longest
// match (HoldBack); bounded in bytes and time — so that a redaction never
// releases half a match however the text is split; classifier windows
// and the policy decision follow internal/check's Stream, so a text gets
// the same decision streamed or whole. A block stops the stream; an
// escalation lets it continue and raises one incident.
package streams
