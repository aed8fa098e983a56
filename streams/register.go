package streams

import (
	"github.com/gin-gonic/gin"
)

// Register mounts the streams routes on r and returns the engine (for
// in-process filters):
//
//	POST /v1/chat/completions               OpenAI proxy
//	POST /v1/messages                       Anthropic proxy
//	POST /v1/stream                         generic stream API (NDJSON)
//	POST /demo/openai/v1/chat/completions   demo upstream (when Config.Demo)
//	POST /demo/anthropic/v1/messages        demo upstream (when Config.Demo)
func Register(r gin.IRouter, deps Deps) (*Engine, error) {
	e, err := NewEngine(deps)
	if err != nil {
		return nil, err
	}
	p := newProxy(e, deps)
	if p.demo != nil && (e.cfg.UpstreamURL == "" || e.cfg.AnthropicUpstreamURL == "") {
		e.log.Warn("streams: no upstream URL for a provider; its requests go to the built-in DEMO upstream (scripted text, not a model)",
			"openai_demo", e.cfg.UpstreamURL == "", "anthropic_demo", e.cfg.AnthropicUpstreamURL == "")
	}
	r.POST("/v1/chat/completions", p.chatCompletions)
	r.POST("/v1/messages", p.messages)
	r.POST("/v1/stream", p.genericStream)
	if p.demo != nil {
		h := gin.WrapH(p.demo)
		r.POST("/demo/openai/v1/chat/completions", h)
		r.POST("/demo/anthropic/v1/messages", h)
	}
	return e, nil
}
