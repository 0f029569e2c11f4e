package registry

import "errors"

// Code classifies a domain error; the API and the CLI translate codes once,
// at their edge.
type Code string

// Error codes.
const (
	CodeInvalid      Code = "INVALID"
	CodeNotFound     Code = "NOT_FOUND"
	CodeConflict     Code = "CONFLICT"
	CodeUnsourced    Code = "UNSOURCED"
	CodeSelfReview   Code = "SELF_REVIEW"
	CodeInvalidState Code = "INVALID_STATE"
	// Failures of authentication and permission are not the input's fault:
	// the API reports them as errors, not as userErrors.
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	CodeForbidden       Code = "FORBIDDEN"
)

// Unauthenticated is the error for an action that needs a signed-in user.
func Unauthenticated(msg string) error { return &Error{Code: CodeUnauthenticated, Message: msg} }

// Forbidden is the error for an action the user's role or relation does not allow.
func Forbidden(msg string) error { return &Error{Code: CodeForbidden, Message: msg} }

// Error is a domain error: a decision made by the registry's rules, with a
// message written for whoever made the request.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return e.Message }

// Invalid returns an INVALID error for a value that breaks a format or rule.
func Invalid(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: err.Error()}
}

// ErrorCode returns the code of a domain error in err's chain, or "".
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Message returns the message of the domain error in err's chain, or err's own.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
