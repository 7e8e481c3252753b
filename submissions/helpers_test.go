package submissions

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// entry is one file, directory or symlink to put in a test submission.
type entry struct {
	name string
	data string
	mode fs.FileMode // 0 for a regular file; fs.ModeDir or fs.ModeSymlink
}

func fileEntry(name, data string) entry { return entry{name: name, data: data} }
func dirEntry(name string) entry        { return entry{name: name, mode: fs.ModeDir} }

// linkEntry is a symlink named name pointing at target.
func linkEntry(name, target string) entry {
	return entry{name: name, data: target, mode: fs.ModeSymlink}
}

// writeFolder creates the entries under dir.
func writeFolder(t *testing.T, dir string, entries ...entry) string {
	t.Helper()
	for _, e := range entries {
		p := filepath.Join(dir, filepath.FromSlash(e.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch e.mode {
		case fs.ModeDir:
			err = os.MkdirAll(p, 0o755)
		case fs.ModeSymlink:
			err = os.Symlink(e.data, p)
		default:
			err = os.WriteFile(p, []byte(e.data), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeZip creates a zip at path holding the entries.
func writeZip(t *testing.T, path string, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		switch e.mode {
		case fs.ModeDir:
			h.SetMode(fs.ModeDir | 0o755)
		case fs.ModeSymlink:
			h.SetMode(fs.ModeSymlink | 0o777)
		default:
			h.SetMode(0o644)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeBytes(t, path, buf.Bytes())
}

// writeTarGz creates a .tar.gz at path holding the entries.
func writeTarGz(t *testing.T, path string, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}
		switch e.mode {
		case fs.ModeDir:
			h.Typeflag, h.Size, h.Mode = tar.TypeDir, 0, 0o755
		case fs.ModeSymlink:
			h.Typeflag, h.Size, h.Linkname = tar.TypeSymlink, 0, e.data
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return writeBytes(t, path, buf.Bytes())
}

func writeBytes(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// deflateBlocks compresses data into non-final deflate blocks that end on a
// byte boundary and refer to nothing before them, so they can be chained:
// this builds huge compressed streams without compressing huge inputs.
func deflateBlocks(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// deflateEnd is a final, empty deflate block.
func deflateEnd(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zeroStream is a deflate stream of mib MiB of zeros, with its CRC-32.
func zeroStream(t *testing.T, mib int) ([]byte, uint32) {
	t.Helper()
	zeros := make([]byte, 1<<20)
	chunk := deflateBlocks(t, zeros)
	var out bytes.Buffer
	var crc uint32
	for range mib {
		out.Write(chunk)
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	out.Write(deflateEnd(t))
	return out.Bytes(), crc
}

// writeZeroZip creates a zip at path with a small step1.redis and name
// holding mib MiB of zeros, whose header claims claimedSize bytes.
func writeZeroZip(t *testing.T, path, name string, mib int, claimedSize uint64) string {
	t.Helper()
	stream, crc := zeroStream(t, mib)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("step1.redis")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("PING\n"))
	w, err = zw.CreateRaw(&zip.FileHeader{
		Name:               name,
		Method:             zip.Deflate,
		CRC32:              crc,
		CompressedSize64:   uint64(len(stream)),
		UncompressedSize64: claimedSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(stream)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeBytes(t, path, buf.Bytes())
}

// writeZeroTarGz creates a .tar.gz at path holding name with mib MiB of
// zeros, built from chained deflate blocks.
func writeZeroTarGz(t *testing.T, path, name string, mib int) string {
	t.Helper()
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	size := int64(mib) << 20
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	// The data is a whole number of 512-byte blocks, and the end of the
	// archive is two zero blocks, so after the header it is zeros only.
	zeros := make([]byte, 1<<20)
	trailer := make([]byte, 1024)
	var body bytes.Buffer
	body.Write(deflateBlocks(t, hdr.Bytes()))
	chunk := deflateBlocks(t, zeros)
	crc := crc32.ChecksumIEEE(hdr.Bytes())
	for range mib {
		body.Write(chunk)
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	body.Write(deflateBlocks(t, trailer))
	crc = crc32.Update(crc, crc32.IEEETable, trailer)
	body.Write(deflateEnd(t))

	var out bytes.Buffer
	out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}) // gzip header, deflate
	out.Write(body.Bytes())
	binary.Write(&out, binary.LittleEndian, crc)
	binary.Write(&out, binary.LittleEndian, uint32(int64(hdr.Len())+size+1024))
	return writeBytes(t, path, out.Bytes())
}

// allocated returns how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
