package checks

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// ReadState reads database 0 as a starting state would write it: every key
// with its type, value and TTL, a stream with its groups and their pending
// entries. Its reads are a compare's, as bounded. Exercise tests read what a
// reference leaves this way, to forge it.
func ReadState(ctx context.Context, rc *redis.Client) (State, error) {
	keys, err := (&CompareCheck{}).readState(ctx, rc)
	if err != nil {
		return nil, err
	}
	var out State
	for _, k := range sortedKeys(keys) {
		out = append(out, Entry{Key: k, Data: keys[k].data()})
	}
	return out, nil
}

// data is a key as a starting state holds it.
func (ks *keyState) data() Data {
	var d Data
	switch ks.typ {
	case "string":
		s := ks.str
		d.String = &s
	case "hash":
		d.Hash = Fields{}
		for _, f := range sortedKeys(ks.hash) {
			d.Hash = append(d.Hash, Field{f, ks.hash[f]})
		}
	case "list":
		d.List = append([]string{}, ks.list...)
	case "set":
		d.Set = append([]string{}, ks.list...)
	case "zset":
		d.Zset = Scores{}
		for _, z := range ks.zset {
			d.Zset = append(d.Zset, Score{Member: fmt.Sprint(z.Member), Score: z.Score})
		}
	case "stream":
		d.Stream = StreamEntries{}
		for _, m := range ks.stream {
			e := StreamEntry{ID: m.ID}
			for _, f := range sortedKeys(m.Values) {
				e.Fields = append(e.Fields, Field{f, fmt.Sprint(m.Values[f])})
			}
			d.Stream = append(d.Stream, e)
		}
		for _, g := range ks.groups {
			group := Group{Name: g.name, Last: canonicalID(g.last)}
			for _, p := range g.pending {
				group.Pending = append(group.Pending, Pending{ID: p.id, Consumer: p.consumer})
			}
			d.Groups = append(d.Groups, group)
		}
	}
	if ks.ttl > 0 {
		d.TTL = ks.ttl
	}
	return d
}
