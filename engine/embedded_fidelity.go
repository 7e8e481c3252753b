package engine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/alicebob/miniredis/v2/server"

	"github.com/redisgrade/redisgrade/internal/rediscmd"
)

// fidelityCommand is the embedded child's own command. With the child's token (known to the Lua prelude only)
// it records something a script did that the emulator cannot answer as Redis would; from the grader's
// connection, with no arguments, it returns what was recorded since it last asked, and forgets it.
const fidelityCommand = "REDISGRADE.UNFAITHFUL"

// maxUnfaithful bounds what the child keeps: one reason is enough not to grade.
const maxUnfaithful = 16

// Unfaithful lists what the student's commands did, since the server's last Reset, that its engine cannot
// answer as Redis 7 would (a command miniredis lacks, a Lua library it has not). A step that did any cannot
// be graded faithfully on that engine: no verdict, rather than a wrong one. Real servers have nothing to say.
func Unfaithful(ctx context.Context, srv Server) ([]string, error) {
	if s, ok := srv.(interface {
		unfaithful(context.Context) ([]string, error)
	}); ok {
		return s.unfaithful(ctx)
	}
	return nil, nil
}

// partlyEmulated are the commands miniredis has whose replies hold little of Redis's: INFO shows two of its
// sections, COMMAND a table of its own.
var partlyEmulated = map[string]bool{"info": true, "command": true}

// hyperLogLog are the HyperLogLog commands miniredis has: it keeps a HyperLogLog as a type of its own (TYPE
// says hll where Redis says string, GET and STRLEN refuse it) and estimates from another hash, so a count
// of more than a few elements differs from Redis's.
var hyperLogLog = map[string]bool{"pfadd": true, "pfcount": true, "pfmerge": true}

// geoDiffers says how miniredis would answer a geospatial command otherwise than Redis, if it would: it prints
// coordinates with 6 decimals where Redis prints 17 digits, ignores ANY (Redis stops at the first COUNT members
// it finds), and cuts a COUNT without ASC or DESC from its list in score order, where Redis sorts nearest first.
func geoDiffers(name string, args []string) string {
	first := 0 // the first optional argument
	switch name {
	case "geopos":
		return "with coordinates, which the emulator prints with fewer digits"
	case "geosearch":
		first = 1
	case "georadiusbymember", "georadiusbymember_ro":
		first = 4
	case "georadius", "georadius_ro":
		first = 5
	default:
		return ""
	}
	var count, sorted, anyFound, coord bool
	for i := first; i < len(args); i++ {
		switch strings.ToUpper(args[i]) {
		case "FROMMEMBER", "STORE", "STOREDIST":
			i++ // a name, whatever it spells
		case "ASC", "DESC":
			sorted = true
		case "COUNT":
			count = true
		case "ANY":
			anyFound = true
		case "WITHCOORD":
			coord = true
		}
	}
	switch {
	case coord:
		return "WITHCOORD, whose coordinates the emulator prints with fewer digits"
	case anyFound:
		return "with ANY, which the emulator ignores (Redis stops at the first COUNT members it finds)"
	case count && !sorted:
		return "with COUNT but neither ASC nor DESC (Redis then keeps the nearest; the emulator does not)"
	}
	return ""
}

// fidelity is the embedded child's watch over what miniredis would answer otherwise than Redis 7. Where it
// can, it answers as Redis does (commands refused from Lua, a MULTI that Redis aborts); elsewhere it records
// the difference for Unfaithful.
type fidelity struct {
	srv       *server.Server
	token     string
	adminPass string

	mu      sync.Mutex
	reasons []string
	tx      map[*server.Peer]bool // connections inside MULTI
	own     map[*server.Peer]bool // the peers of the checks below: the pre-hook leaves them to miniredis
	// graderScripts are the SHA1s of the scripts the grader's connections ran: miniredis runs a script's
	// commands on a peer of its own, known only by the script's SHA1.
	graderScripts map[string]bool

	dryMu  sync.Mutex
	dry    *server.Peer // an authenticated connection of our own, for dry runs
	dryBuf bytes.Buffer
	dryW   *bufio.Writer
}

func newFidelity(srv *server.Server, token, adminPass string) *fidelity {
	return &fidelity{srv: srv, token: token, adminPass: adminPass, tx: map[*server.Peer]bool{}, own: map[*server.Peer]bool{}, graderScripts: map[string]bool{}}
}

func (f *fidelity) add(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.reasons {
		if r == reason {
			return
		}
	}
	if len(f.reasons) < maxUnfaithful {
		f.reasons = append(f.reasons, reason)
	}
}

// isOwn reports whether c is one of fidelity's own peers, which the pre-hook must leave alone.
func (f *fidelity) isOwn(c *server.Peer) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.own[c]
}

func (f *fidelity) newOwnPeer(w *bufio.Writer) *server.Peer {
	p := server.NewPeer(w)
	f.mu.Lock()
	f.own[p] = true
	f.mu.Unlock()
	return p
}

func (f *fidelity) dropOwnPeer(p *server.Peer) {
	f.mu.Lock()
	delete(f.own, p)
	f.mu.Unlock()
}

// hook is a miniredis pre-hook step for a command of connection c (admin: the grader's). It returns true when
// it answered the command itself.
func (f *fidelity) hook(c *server.Peer, cmd string, args []string, admin bool) bool {
	if cmd == fidelityCommand {
		switch {
		case len(args) == 2 && args[0] == f.token:
			f.add(args[1])
			c.WriteOK()
		case admin && len(args) == 0:
			f.mu.Lock()
			reasons := f.reasons
			f.reasons = nil
			f.mu.Unlock()
			c.WriteStrings(reasons)
		default:
			c.WriteError(fmt.Sprintf("ERR unknown command `%s`, with args beginning with: ", cmd))
		}
		return true
	}
	if admin {
		// A case that starts from a HyperLogLog (the reset writes it) is as
		// unfaithful as one whose student writes it.
		if hyperLogLog[strings.ToLower(cmd)] {
			f.add("works on a HyperLogLog of the starting state, which the emulator keeps otherwise than Redis, and estimates otherwise")
		}
		f.noteGraderScript(cmd, args)
		return false // the grader's own commands are its business
	}
	name, info, known := rediscmd.Lookup(cmd, args)
	// The child emulates these itself (commandStats).
	commandStats := name == "config|resetstat" || (name == "info" && len(args) == 1 && strings.EqualFold(args[0], "commandstats"))
	switch {
	case known && !info.Emulated && !commandStats:
		f.add("runs " + strings.ToUpper(strings.ReplaceAll(name, "|", " ")) + ", which the emulator does not have")
		return false
	case !commandStats && partlyEmulated[strings.SplitN(name, "|", 2)[0]]:
		f.add("runs " + cmd + ", whose reply the emulator makes up from little of what Redis says")
		return false
	case hyperLogLog[name]:
		f.add("runs " + strings.ToUpper(name) + ": the emulator keeps a HyperLogLog otherwise than Redis, and estimates otherwise")
		return false
	case geoDiffers(name, args) != "":
		f.add("runs " + strings.ToUpper(name) + " " + geoDiffers(name, args))
		return false
	}
	if cmd == "XCLAIM" && len(args) >= 4 {
		// miniredis claims an entry however briefly it has been idle; Redis only one idle for the minimum.
		if n, err := strconv.ParseInt(args[3], 10, 64); err == nil && n > 0 {
			f.add("runs XCLAIM with a minimum idle time, which the emulator does not wait for")
		}
	}
	// miniredis drops the pending entries of the ids XDEL deletes; Redis keeps them until they are
	// acknowledged. A script's XDEL is not looked into: asking from inside the script would wait on it.
	if cmd == "XDEL" && len(args) > 0 && (fromScript(c) || f.hasGroups(args[0])) {
		f.add("runs XDEL on a stream with consumer groups, whose pending entries the emulator forgets and Redis keeps")
	}
	// miniredis answers SCAN in one page whatever its COUNT; Redis pages a keyspace larger than COUNT. A
	// student's script's SCAN is not looked into, for the reason above; the grader's own scripts page
	// through to the end, which one page does as well.
	if cmd == "SCAN" && (fromScript(c) && !f.isGraderScript(c) || !fromScript(c) && scanCount(args) < f.dbSize()) {
		f.add("runs SCAN, which the emulator answers in one page whatever its COUNT and Redis in pages of about COUNT keys")
	}
	if fromScript(c) {
		if known && info.NoScript {
			c.WriteError("ERR This Redis command is not allowed from script")
			return true
		}
		return false
	}
	if cmd == "WAIT" && len(args) == 2 {
		// Without replicas Redis waits out the timeout (0: forever) for any number above 0; miniredis answers 0 at once.
		if n, err := strconv.ParseInt(args[0], 10, 64); err == nil && n > 0 {
			f.add("runs WAIT for replicas, which Redis waits for and the emulator does not")
		}
	}
	return f.transaction(c, cmd, args, info, known)
}

// transaction keeps a MULTI on miniredis as Redis would: Redis queues any known command of the right arity
// and reports its errors in EXEC's reply, but aborts the transaction (EXECABORT) for any other. miniredis
// checks some arguments as it queues. Each command queued is first tried on a connection of our own.
func (f *fidelity) transaction(c *server.Peer, cmd string, args []string, info rediscmd.Info, known bool) bool {
	f.mu.Lock()
	inTx := f.tx[c]
	switch {
	case !inTx && cmd == "MULTI":
		f.tx[c] = true
		c.OnDisconnect(func() { f.mu.Lock(); delete(f.tx, c); f.mu.Unlock() })
	case inTx && (cmd == "EXEC" || cmd == "DISCARD" || cmd == "RESET"):
		delete(f.tx, c)
	}
	f.mu.Unlock()
	switch cmd {
	case "MULTI", "EXEC", "DISCARD", "WATCH", "RESET", "QUIT": // run at once, never queued
		return false
	}
	if !inTx {
		return false
	}
	redisQueues := known && rediscmd.ArityOK(info.Arity, 1+len(args)) && !info.NoMulti
	queued, aborts, ok := f.tryQueue(cmd, args)
	switch {
	case !ok:
	case redisQueues && !queued:
		f.add("queues " + cmd + " in MULTI with arguments the emulator refuses at once (Redis queues it, and EXEC replies with its error)")
	case !redisQueues && queued:
		f.add("queues " + cmd + " in MULTI, which Redis refuses (and aborts the transaction) and the emulator queues")
	case !redisQueues && !aborts:
		f.abortTransaction(c)
	}
	return false
}

// tryQueue queues the command in a MULTI of our own and says whether miniredis queued it and, if not, whether
// it aborted that transaction. ok is false when the dry run did not go as planned.
func (f *fidelity) tryQueue(cmd string, args []string) (queued, aborts, ok bool) {
	f.dryMu.Lock()
	defer f.dryMu.Unlock()
	f.openDry()
	f.dryBuf.Reset()
	f.dispatch(f.dry, f.dryW, "MULTI")
	f.dispatch(f.dry, f.dryW, append([]string{cmd}, args...)...)
	lines := strings.SplitN(f.dryBuf.String(), "\r\n", 3)
	queued = len(lines) > 1 && lines[1] == "+QUEUED"
	end := "EXEC" // nothing was queued: EXEC runs nothing, and tells whether the transaction was aborted
	if queued {
		end = "DISCARD"
	}
	f.dryBuf.Reset()
	f.dispatch(f.dry, f.dryW, end)
	reply := f.dryBuf.String()
	if len(lines) < 2 || lines[0] != "+OK" || !(strings.HasPrefix(reply, "+OK") || strings.HasPrefix(reply, "*") || strings.HasPrefix(reply, "-EXECABORT")) {
		// Our connection is in a state we did not plan (a command changed it): start afresh next time.
		f.dropOwnPeer(f.dry)
		f.dry = nil
		return false, false, false
	}
	return queued, strings.HasPrefix(reply, "-EXECABORT"), true
}

// openDry opens the connection of our own for dry runs, once; dryMu must be held.
func (f *fidelity) openDry() {
	if f.dry == nil {
		f.dryW = bufio.NewWriter(&f.dryBuf)
		f.dry = f.newOwnPeer(f.dryW)
		f.dispatch(f.dry, f.dryW, "AUTH", "default", f.adminPass)
	}
}

// hasGroups reports whether key is a stream with consumer groups, asked on our own connection.
func (f *fidelity) hasGroups(key string) bool {
	f.dryMu.Lock()
	defer f.dryMu.Unlock()
	f.openDry()
	f.dryBuf.Reset()
	f.dispatch(f.dry, f.dryW, "XINFO", "GROUPS", key)
	reply := f.dryBuf.String()
	return strings.HasPrefix(reply, "*") && !strings.HasPrefix(reply, "*0\r\n")
}

// dbSize is the number of keys in database 0, asked on our own connection (-1 if it cannot tell).
func (f *fidelity) dbSize() int64 {
	f.dryMu.Lock()
	defer f.dryMu.Unlock()
	f.openDry()
	f.dryBuf.Reset()
	f.dispatch(f.dry, f.dryW, "DBSIZE")
	n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(f.dryBuf.String(), ":"), "\r\n"), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// scanCount is the COUNT of SCAN cursor [MATCH p] [COUNT n] [TYPE t]: 10 when not given, and the largest
// number when it cannot be read (then Redis and miniredis both refuse the command).
func scanCount(args []string) int64 {
	for i := 1; i+1 < len(args); i += 2 {
		if strings.EqualFold(args[i], "COUNT") {
			n, err := strconv.ParseInt(args[i+1], 10, 64)
			if err != nil {
				return math.MaxInt64
			}
			return n
		}
	}
	return 10
}

func (f *fidelity) dispatch(p *server.Peer, w *bufio.Writer, args ...string) {
	f.srv.Dispatch(p, args)
	w.Flush()
}

// abortTransaction marks c's transaction as miniredis marks one after a bad command: its EXEC answers
// EXECABORT. A command of the wrong arity on a peer that shares c's state does that.
func (f *fidelity) abortTransaction(c *server.Peer) {
	w := bufio.NewWriter(io.Discard)
	p := f.newOwnPeer(w)
	defer f.dropOwnPeer(p)
	p.Ctx = c.Ctx
	f.dispatch(p, w, "GET")
}

// maxGraderScripts bounds graderScripts: the grader runs a handful of scripts of its own.
const maxGraderScripts = 64

// noteGraderScript remembers the SHA1 of a script a grader's connection runs.
func (f *fidelity) noteGraderScript(cmd string, args []string) {
	if len(args) == 0 {
		return
	}
	var sha string
	switch cmd {
	case "EVAL", "EVAL_RO":
		sum := sha1.Sum([]byte(args[0]))
		sha = hex.EncodeToString(sum[:])
	case "EVALSHA", "EVALSHA_RO":
		sha = strings.ToLower(args[0])
	default:
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.graderScripts) < maxGraderScripts {
		f.graderScripts[sha] = true
	}
}

// isGraderScript reports whether c runs the commands of a script the grader ran (a student who sends
// the very same script is taken for the grader: its commands are the grader's, harmless).
func (f *fidelity) isGraderScript(c *server.Peer) bool {
	v := reflect.ValueOf(c.Ctx)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	sha := v.Elem().FieldByName("nestedSHA")
	if !sha.IsValid() || sha.Kind() != reflect.String {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.graderScripts[sha.String()]
}

// fromScript reports whether a command comes from a Lua script: miniredis runs those on a peer whose state is
// marked nested. TestEmulatorAgrees fails if this stops seeing it.
func fromScript(c *server.Peer) bool {
	v := reflect.ValueOf(c.Ctx)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	nested := v.Elem().FieldByName("nested")
	return nested.IsValid() && nested.Kind() == reflect.Bool && nested.Bool()
}
