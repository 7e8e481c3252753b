// Package ziptest builds zip archives as real tools write them, for tests
// of the code that reads students' and classes' archives.
package ziptest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Entry is one entry: a folder when Name ends in "/".
type Entry struct {
	Name string // as the user sees it (UTF-8)
	Data string
}

// Windows writes entries as Windows' "Compressed folder" does: names in
// code page 437 without the UTF-8 flag (bit 11), the creator set to FAT
// (MS-DOS attributes, no Unix modes). Names must be representable in CP437.
func Windows(entries ...Entry) ([]byte, error) {
	return write(entries, func(h *zip.FileHeader) error {
		raw, err := charmap.CodePage437.NewEncoder().String(h.Name)
		if err != nil {
			return err
		}
		h.Name, h.NonUTF8 = raw, true
		return nil
	})
}

// UnicodePathExtra writes names as 7-Zip does for names outside ASCII: a
// legacy name (here "?" for each non-ASCII rune) without the UTF-8 flag,
// and the real name in an Info-ZIP Unicode Path extra field (0x7075).
func UnicodePathExtra(entries ...Entry) ([]byte, error) {
	return write(entries, func(h *zip.FileHeader) error {
		legacy := strings.Map(func(r rune) rune {
			if r > 0x7f {
				return '?'
			}
			return r
		}, h.Name)
		field := []byte{1}
		field = binary.LittleEndian.AppendUint32(field, crc32.ChecksumIEEE([]byte(legacy)))
		field = append(field, h.Name...)
		extra := binary.LittleEndian.AppendUint16(nil, 0x7075)
		extra = binary.LittleEndian.AppendUint16(extra, uint16(len(field)))
		h.Extra = append(extra, field...)
		h.Name, h.NonUTF8 = legacy, true
		return nil
	})
}

func write(entries []Entry, name func(*zip.FileHeader) error) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate}
		// FAT creator (high byte 0), with the MS-DOS directory or archive
		// attribute, as Windows writes them.
		h.CreatorVersion = 20
		h.ExternalAttrs = 0x20
		if strings.HasSuffix(e.Name, "/") {
			h.ExternalAttrs, h.Method = 0x10, zip.Store
		}
		if err := name(h); err != nil {
			return nil, err
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(e.Data)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
