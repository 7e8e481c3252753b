package checks

import (
	"slices"
	"strings"

	"github.com/redisgrade/redisgrade/submissions"
)

// byChance are the commands whose outcome the server draws afresh: a SCAN
// page (its order follows the hash seed each server process draws at
// start), a random member or key, the clock. Two runs of the same answer on
// two servers may differ in what they reply and in what they leave.
var byChance = []string{"SCAN", "SSCAN", "HSCAN", "ZSCAN", "RANDOMKEY", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER",
	"SPOP", "TIME"}

// ByChance reports whether the run sent, or its scripts called, a command
// whose outcome the server draws (byChance). Such a run's failures are
// described coarsely (see Shape and Detail): a walk that stops after its
// first SCAN page counts 1, 2 or none of 3 keys depending on the server
// process that graded it, and must still be the same known mistake on each.
// A script's calls show only in the command statistics, which the grader
// reads for every run that calls one (PlanReads).
func (env *Env) ByChance() bool {
	if env == nil {
		return false
	}
	for _, cmd := range env.Sent {
		if slices.Contains(byChance, cmd.Name()) {
			return true
		}
	}
	for _, name := range byChance {
		if env.Stats[strings.ToLower(name)] > 0 {
			return true
		}
	}
	return false
}

// relative is Relative, or only the direction ("=", "<", ">") where the
// run left things to chance: how far off a value is then says nothing
// stable about the answer.
func (env *Env) relative(got, want int64) string {
	if !env.ByChance() {
		return Relative(got, want)
	}
	switch {
	case got < want:
		return "<"
	case got > want:
		return ">"
	}
	return "="
}

// callsScript reports whether a command runs a script or a function, whose
// own calls only the command statistics show.
func callsScript(cmd submissions.Command) bool {
	switch cmd.Name() {
	case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
		return true
	}
	return false
}

// commands is Env.Commands, nil without an Env.
func (env *Env) commands() []string {
	if env == nil {
		return nil
	}
	return env.Commands
}
