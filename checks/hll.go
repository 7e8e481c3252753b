package checks

// A HyperLogLog's value, as Redis lays it out (hyperloglog.c): a 16-byte
// header ("HYLL", the encoding, three unused bytes, the cached count), then
// its 16384 registers, dense (6 bits each) or sparse (runs of zeros and of
// one value). Two HyperLogLogs hold the same members' traces exactly when
// their registers are equal; the header's cached count is not part of it,
// since PFCOUNT, a read to the student, rewrites it.
const (
	hllHeader    = 16
	hllRegisters = 16384
	hllBits      = 6
	hllDense     = 0
	hllSparse    = 1
)

// hllRegisterValues decodes a HyperLogLog's registers, one byte each; ok is
// false for bytes that are not a valid HyperLogLog.
func hllRegisterValues(s string) (regs []byte, ok bool) {
	if len(s) < hllHeader || s[:4] != hllMagic {
		return nil, false
	}
	body := s[hllHeader:]
	switch s[4] {
	case hllDense:
		if len(body) != (hllRegisters*hllBits+7)/8 {
			return nil, false
		}
		regs = make([]byte, hllRegisters)
		for i := range regs {
			bit := i * hllBits
			b, shift := bit/8, uint(bit%8)
			v := uint(body[b]) >> shift
			if b+1 < len(body) {
				v |= uint(body[b+1]) << (8 - shift)
			}
			regs[i] = byte(v & (1<<hllBits - 1))
		}
		return regs, true
	case hllSparse:
		return sparseRegisters(body)
	}
	return nil, false
}

// sparseRegisters decodes the sparse encoding's opcodes: ZERO (00xxxxxx,
// xxxxxx+1 zeros), XZERO (01xxxxxx yyyyyyyy, that 14-bit number plus one
// zeros) and VAL (1vvvvvxx, xx+1 registers of vvvvv+1).
func sparseRegisters(body string) ([]byte, bool) {
	regs := make([]byte, 0, hllRegisters)
	for i := 0; i < len(body); i++ {
		op := body[i]
		var n int
		var v byte
		switch {
		case op&0xc0 == 0x00:
			n = int(op&0x3f) + 1
		case op&0xc0 == 0x40:
			if i+1 >= len(body) {
				return nil, false
			}
			n = (int(op&0x3f)<<8 | int(body[i+1])) + 1
			i++
		default:
			n, v = int(op&0x03)+1, (op>>2)&0x1f+1
		}
		if len(regs)+n > hllRegisters {
			return nil, false
		}
		for range n {
			regs = append(regs, v)
		}
	}
	return regs, len(regs) == hllRegisters
}
