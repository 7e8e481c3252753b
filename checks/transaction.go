package checks

import "github.com/redisgrade/redisgrade/submissions"

// Results are the commands' results, which the checks of replies read:
// Replies, but for each command queued in a transaction. Such a command
// replies QUEUED, and its result comes in EXEC's reply, in its place among
// the queued commands; a transaction that did not run (EXEC's nil after a
// WATCH, DISCARD) gives each queued command nil, and one EXEC refused
// (EXECABORT) gives each its error. So `MULTI / INCR views / EXEC` answers
// a task that asks for INCR as `INCR views` does. The grader's no-errors
// check reads Replies: an error in EXEC's reply is one the student saw as
// a result, not as a failed command.
func (env *Env) Results() []Value {
	// Worked out once for the replies it was worked out from: a caller may
	// give the Env other replies (the tests do).
	if env.results == nil || len(env.results) != len(env.Replies) || (len(env.Replies) > 0 && env.settledFrom != &env.Replies[0]) {
		env.results = Settle(env.Sent, env.Replies)
		env.settledFrom = nil
		if len(env.Replies) > 0 {
			env.settledFrom = &env.Replies[0]
		}
	}
	return env.results
}

// Settle is Results for any commands and their replies (the reference's).
func Settle(cmds []submissions.Command, replies []Value) []Value {
	out := make([]Value, len(replies))
	copy(out, replies)
	var queued []int // the commands queued since MULTI, nil outside one
	inMulti := false
	for i := range min(len(cmds), len(replies)) {
		r := replies[i]
		switch name := cmds[i].Name(); {
		case name == "MULTI" && r.Type != Error && !inMulti:
			inMulti, queued = true, nil
		case !inMulti:
		case name == "EXEC":
			settleQueued(out, queued, r)
			inMulti = false
		case name == "DISCARD":
			settleQueued(out, queued, Value{Type: Nil})
			inMulti = false
		case r.Type == String && r.Str == "QUEUED":
			queued = append(queued, i)
		}
	}
	return out
}

// settleQueued gives each queued command its result in exec, EXEC's reply.
func settleQueued(out []Value, queued []int, exec Value) {
	for k, i := range queued {
		switch {
		case exec.Type == Array && k < len(exec.Elems):
			out[i] = exec.Elems[k]
		case exec.Type == Array:
			// EXEC answered fewer results than commands were queued: leave
			// QUEUED, which says the command's result is not known.
		default:
			out[i] = exec // nil, or the error that refused the transaction
		}
	}
}
