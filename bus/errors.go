package bus

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/langnghe/langnghe/post"
)

// ErrPermanent marks a message that can never be processed (bad bytes, contract
// violation). A Processor returns an error wrapping it (see Permanent) to send the message to
// the dead-letter topic instead of retrying it.
var ErrPermanent = errors.New("permanent failure")

// ErrProcessorContract is returned by Consumer.Run when the Processor returns a slice of
// errors whose length is neither 0 nor the number of messages: the consumer cannot tell
// which message failed, and guessing could lose one.
var ErrProcessorContract = errors.New("bus: processor returned wrong number of errors")

// permanentError keeps the cause's text unchanged (it becomes the DLQ reason) while making
// errors.Is(err, ErrPermanent) true and leaving the cause reachable for errors.Is/As.
type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() []error { return []error{ErrPermanent, e.err} }

// Permanent wraps err so that errors.Is(result, ErrPermanent) holds and err stays reachable
// through errors.Is and errors.As. Permanent(nil) is nil, so it can wrap a call's result
// directly.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrPermanent) {
		return err
	}
	return &permanentError{err: err}
}

// Dead-letter reasons used as the "reason" label of langnghe_bus_dead_lettered_total.
const (
	ReasonMalformed    = "malformed"
	ReasonInvalid      = "invalid"
	ReasonSchemaTooNew = "schema_too_new"
	ReasonOther        = "other"
)

// Reason maps a dead-letter error to a low-cardinality metric label using the post
// package's sentinels.
func Reason(err error) string {
	switch {
	case errors.Is(err, post.ErrMalformed):
		return ReasonMalformed
	case errors.Is(err, post.ErrSchemaTooNew):
		return ReasonSchemaTooNew
	case errors.Is(err, post.ErrInvalid):
		return ReasonInvalid
	default:
		return ReasonOther
	}
}

// maxErrorHeader bounds the HeaderError value; error texts can quote whole payloads.
const maxErrorHeader = 1024

// sanitizeError renders err as one line of at most maxErrorHeader bytes of valid UTF-8.
// Newlines and other control characters become spaces so the header is safe to print in
// logs and kcat output; the cut never splits a Vietnamese multi-byte character.
func sanitizeError(err error) string {
	if err == nil {
		return ""
	}
	s := strings.ToValidUTF8(err.Error(), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= maxErrorHeader {
		return s
	}
	cut := maxErrorHeader
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
