package checks

import "testing"

// A reply's shape is relative to the expected reply: the same mistake from
// another starting state, or spelt another way, has the same shape.
func TestReplyShape(t *testing.T) {
	arr := func(vs ...Value) Value { return Value{Type: Array, Elems: vs} }
	tests := []struct {
		got, want Value
		shape     string
	}{
		{arr(Int(1), Int(99)), arr(Int(99), Int(1)), "[int=e1,int=e0]"},
		{arr(Int(42), Int(0)), arr(Int(0), Int(42)), "[int=e1,int=e0]"},
		{arr(Str("99"), Str("1")), arr(Int(99), Int(1)), "[str=,str=]"},
		{arr(Str("6"), Str("4")), arr(Int(6), Int(4)), "[str=,str=]"},
		{arr(Int(99), Int(1)), arr(Int(6), Int(4)), "[int>+2,int<-2]"},
		{arr(Int(98), Int(2)), arr(Int(99), Int(1)), "[int-1,int+1]"},
		{arr(Int(99)), arr(Int(99), Int(1)), "[int=]len-1"},
		{Value{Type: Nil}, arr(Int(99), Int(1)), "nil"},
		{Str("abc"), Int(3), "str"},
		{Str("3937.3070"), Str("3.9373"), "str×1e+03"},
		{Str("2.4465"), Str("3.9373"), "str×0.62"},
		{Str("far"), Str("3.9373"), "str≠"},
		{Value{Type: Error, Str: "ERR user_script:3: Script attempted to access nonexistent global variable 'stock'"}, arr(), "error(nonexistent global variable)"},
		{Value{Type: Error, Str: "WRONGTYPE Operation against a key"}, Int(1), "error(WRONGTYPE)"},
	}
	for _, tt := range tests {
		if got := ReplyShape(tt.got, tt.want, nil); got != tt.shape {
			t.Errorf("ReplyShape(%s, %s) = %q, want %q", tt.got, tt.want, got, tt.shape)
		}
	}
}

func TestErrorKindAcrossEngines(t *testing.T) {
	for _, text := range []string{
		"ERR unknown command 'SETT', with args beginning with: 'sales' '0' ", // Redis
		"ERR unknown command `sett`, with args beginning with: ",             // the emulator
	} {
		if got := ErrorKind(text, nil); got != "unknown command" {
			t.Errorf("ErrorKind(%q) = %q", text, got)
		}
	}
}

func TestRelative(t *testing.T) {
	for _, tt := range []struct {
		got, want int64
		rel       string
	}{{5, 5, "="}, {6, 5, "+1"}, {3, 5, "-2"}, {8, 5, ">+2"}, {-100, 5, "<-2"}} {
		if got := Relative(tt.got, tt.want); got != tt.rel {
			t.Errorf("Relative(%d, %d) = %q, want %q", tt.got, tt.want, got, tt.rel)
		}
	}
}
