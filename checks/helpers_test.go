package checks

// Arr returns an array reply value.
func Arr(elems ...Value) Value { return Value{Type: Array, Elems: elems} }
