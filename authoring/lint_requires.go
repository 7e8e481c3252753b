package authoring

import (
	"fmt"

	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/yamlstrict"
)

// valkeyAnswersAs is the Redis version Valkey 8 and 9 answer as (their redis_version): a Valkey is judged
// by it where a spec names no Valkey range.
const valkeyAnswersAs = "7.2.4"

// lintRequires checks the requires of the exercise and of each step: ranges that hold no version, a Redis
// range that leaves every Valkey out without saying so, and a step that no server the exercise accepts can
// grade.
func lintRequires(ex *exercises.Exercise, at func(yamlstrict.Pos, string, ...any)) {
	lintRanges(ex.Requires, ex.Pos, "requires", at)
	exRedis, exValkey := ex.Requires.Ranges()
	for i, s := range ex.Steps {
		if !s.Requires.Constrains() {
			continue
		}
		label := fmt.Sprintf("step %d (%s): requires", i+1, s.ID)
		pos := s.Requires.Pos
		if pos == (yamlstrict.Pos{}) {
			pos = s.Pos
		}
		lintRanges(s.Requires, pos, label, at)
		stRedis, stValkey := s.Requires.Ranges()
		redisLeft := !exRedis.Intersect(stRedis).Empty()
		valkeyLeft := !exValkey.Intersect(stValkey).Empty()
		if ex.Requires.Valkey == "" || s.Requires.Valkey == "" {
			// An unnamed Valkey range is the Redis one, at the version Valkey answers as.
			valkeyLeft = effectiveValkey(ex.Requires) && effectiveValkey(s.Requires)
		}
		if !redisLeft && !valkeyLeft {
			at(pos, "%s: no server the exercise accepts (%s) is one this step accepts (%s): the step is never graded", label, ex.Requires.Describe(), s.Requires.Describe())
		}
	}
}

// effectiveValkey reports whether some Valkey may grade under q.
func effectiveValkey(q exercises.Requires) bool {
	redis, valkey := q.Ranges()
	if q.Valkey == "" {
		return redis.Allows(valkeyAnswersAs)
	}
	return !valkey.Empty()
}

func lintRanges(q exercises.Requires, pos yamlstrict.Pos, label string, at func(yamlstrict.Pos, string, ...any)) {
	if q.Pos != (yamlstrict.Pos{}) {
		pos = q.Pos
	}
	redis, valkey := q.Ranges()
	if !redis.None && redis.Empty() {
		at(pos, "%s.redis %q holds no version: the bounds exclude each other", label, q.Redis)
	}
	if !valkey.None && valkey.Empty() {
		at(pos, "%s.valkey %q holds no version: the bounds exclude each other", label, q.Valkey)
	}
	if q.Valkey == "" && q.Redis != "" && !redis.None && !redis.Allows(valkeyAnswersAs) {
		at(pos, "%s.redis %q leaves out every Valkey, which is judged as the Redis it answers as (%s): say which Valkey versions can grade it (valkey: \">=9.0\") or that none can (valkey: none)", label, q.Redis, valkeyAnswersAs)
	}
}
