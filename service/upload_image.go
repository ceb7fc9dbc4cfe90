package service

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // DecodeConfig for GIF
	_ "image/jpeg" // DecodeConfig for JPEG
	_ "image/png"  // DecodeConfig for PNG
	"io"

	_ "golang.org/x/image/webp" // DecodeConfig for WebP
)

// Image formats an upload may have, sniffed from its bytes (never its name).
const (
	ImageJPEG = "image/jpeg"
	ImagePNG  = "image/png"
	ImageWebP = "image/webp"
	ImageGIF  = "image/gif"
)

// imageExt is the file extension of each content type.
var imageExt = map[string]string{ImageJPEG: "jpg", ImagePNG: "png", ImageWebP: "webp", ImageGIF: "gif"}

// sniffImage tells the image type from the first bytes, or "".
func sniffImage(head []byte) string {
	switch {
	case len(head) >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF:
		return ImageJPEG
	case len(head) >= 8 && bytes.Equal(head[:8], []byte("\x89PNG\r\n\x1a\n")):
		return ImagePNG
	case len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return ImageWebP
	case len(head) >= 6 && (bytes.Equal(head[:6], []byte("GIF87a")) || bytes.Equal(head[:6], []byte("GIF89a"))):
		return ImageGIF
	}
	return ""
}

// errBadImage is a file whose structure the metadata filter cannot follow.
var errBadImage = errors.New("image structure is broken")

// stripMetadata copies the image in r to w without its metadata: EXIF (GPS
// positions, camera serials, times), XMP, IPTC, comments and text chunks.
// It works on the container (JPEG segments, PNG chunks, RIFF chunks, GIF
// extension blocks) and never decodes pixels, so memory stays a few
// kilobytes whatever the image size. Pixel data passes byte for byte.
func stripMetadata(contentType string, r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 32<<10)
	bw := bufio.NewWriterSize(w, 32<<10)
	var err error
	switch contentType {
	case ImageJPEG:
		err = stripJPEG(br, bw)
	case ImagePNG:
		err = stripPNG(br, bw)
	case ImageGIF:
		err = stripGIF(br, bw)
	default:
		return fmt.Errorf("strip metadata: %s needs stripWebP", contentType)
	}
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errBadImage
		}
		return err
	}
	return bw.Flush()
}

// stripJPEG keeps SOI, APP0 (JFIF), APP2 ICC profiles, APP14 (Adobe colour
// transform) and every coding segment; it drops the other APPn segments
// (APP1 EXIF/XMP, APP13 IPTC …) and comments. The EXIF orientation, if any,
// is kept in a minimal EXIF segment of its own so phone photos do not turn
// sideways; nothing else of the EXIF survives.
func stripJPEG(r *bufio.Reader, w *bufio.Writer) error {
	var soi [2]byte
	if _, err := io.ReadFull(r, soi[:]); err != nil {
		return err
	}
	if soi != [2]byte{0xFF, 0xD8} {
		return errBadImage
	}
	if _, err := w.Write(soi[:]); err != nil {
		return err
	}
	orientationWritten := false
	for {
		b, err := r.ReadByte()
		if err != nil {
			return err
		}
		if b != 0xFF {
			return errBadImage
		}
		marker, err := r.ReadByte()
		for err == nil && marker == 0xFF { // fill bytes
			marker, err = r.ReadByte()
		}
		if err != nil {
			return err
		}
		switch {
		case marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			if _, err := w.Write([]byte{0xFF, marker}); err != nil {
				return err
			}
			continue
		case marker == 0xD9: // EOI before any scan
			_, err := w.Write([]byte{0xFF, marker})
			return err
		}
		var lb [2]byte
		if _, err := io.ReadFull(r, lb[:]); err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint16(lb[:]))
		if n < 2 {
			return errBadImage
		}
		body := io.LimitReader(r, int64(n-2))
		keep := true
		switch {
		case marker == 0xE1: // APP1: EXIF or XMP
			seg, err := io.ReadAll(body)
			if err != nil {
				return err
			}
			if len(seg) != n-2 {
				return errBadImage
			}
			if o := exifOrientation(seg); o > 1 && !orientationWritten {
				if _, err := w.Write(minimalEXIF(o)); err != nil {
					return err
				}
				orientationWritten = true
			}
			continue
		case marker == 0xE0, marker == 0xE2, marker == 0xEE:
			keep = true
		case marker >= 0xE3 && marker <= 0xEF, marker == 0xFE: // other APPn, COM
			keep = false
		}
		if !keep {
			if m, err := io.Copy(io.Discard, body); err != nil || m != int64(n-2) {
				return errBadImage
			}
			continue
		}
		if _, err := w.Write([]byte{0xFF, marker, lb[0], lb[1]}); err != nil {
			return err
		}
		if m, err := io.Copy(w, body); err != nil || m != int64(n-2) {
			return errBadImage
		}
		if marker == 0xDA { // SOS: the entropy-coded data and the rest pass as they are
			_, err := io.Copy(w, r)
			return err
		}
	}
}

// exifOrientation reads tag 0x0112 of IFD0 from an APP1 EXIF payload; 0 when
// absent or unreadable.
func exifOrientation(seg []byte) int {
	if len(seg) < 14 || !bytes.Equal(seg[:6], []byte("Exif\x00\x00")) {
		return 0
	}
	t := seg[6:]
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	for i := 0; i < count; i++ {
		e := off + 2 + 12*i
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			v := int(bo.Uint16(t[e+8:]))
			if v >= 1 && v <= 8 {
				return v
			}
			return 0
		}
	}
	return 0
}

// minimalEXIF is an APP1 segment whose only tag is the orientation.
func minimalEXIF(orientation int) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, // header, IFD0 at 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(orientation), 0, 0, // Orientation SHORT 1
		0, 0, 0, 0} // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// pngKeep are the PNG chunks that survive: image data, colour information
// and animation (APNG). Text (tEXt, zTXt, iTXt), eXIf, tIME and any unknown
// chunk are dropped.
var pngKeep = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true, "tRNS": true, "gAMA": true, "cHRM": true,
	"sRGB": true, "iCCP": true, "sBIT": true, "pHYs": true, "bKGD": true, "acTL": true, "fcTL": true, "fdAT": true,
}

func stripPNG(r *bufio.Reader, w *bufio.Writer) error {
	var sig [8]byte
	if _, err := io.ReadFull(r, sig[:]); err != nil {
		return err
	}
	if _, err := w.Write(sig[:]); err != nil {
		return err
	}
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return err
		}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		typ := string(hdr[4:8])
		rest := io.LimitReader(r, n+4) // data and CRC
		if !pngKeep[typ] {
			if m, err := io.Copy(io.Discard, rest); err != nil || m != n+4 {
				return errBadImage
			}
			continue
		}
		if _, err := w.Write(hdr[:]); err != nil {
			return err
		}
		if m, err := io.Copy(w, rest); err != nil || m != n+4 {
			return errBadImage
		}
		if typ == "IEND" {
			return nil
		}
	}
}

// stripGIF drops comment extensions and application extensions other than
// the looping ones (NETSCAPE2.0, ANIMEXTS1.0), which is where XMP hides.
func stripGIF(r *bufio.Reader, w *bufio.Writer) error {
	var hdr [13]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	if hdr[10]&0x80 != 0 { // global colour table
		if err := copyN(w, r, 3<<(int(hdr[10]&7)+1)); err != nil {
			return err
		}
	}
	for {
		b, err := r.ReadByte()
		if err != nil {
			return err
		}
		switch b {
		case 0x3B: // trailer
			return w.WriteByte(b)
		case 0x2C: // image descriptor
			var d [9]byte
			if _, err := io.ReadFull(r, d[:]); err != nil {
				return err
			}
			if _, err := w.Write(append([]byte{b}, d[:]...)); err != nil {
				return err
			}
			if d[8]&0x80 != 0 {
				if err := copyN(w, r, 3<<(int(d[8]&7)+1)); err != nil {
					return err
				}
			}
			if err := copyN(w, r, 1); err != nil { // LZW minimum code size
				return err
			}
			if err := gifSubBlocks(r, w); err != nil {
				return err
			}
		case 0x21: // extension
			label, err := r.ReadByte()
			if err != nil {
				return err
			}
			keep := label == 0xF9 || label == 0x01 // graphic control, plain text
			var appID []byte
			if label == 0xFF {
				n, err := r.ReadByte()
				if err != nil {
					return err
				}
				appID = make([]byte, n)
				if _, err := io.ReadFull(r, appID); err != nil {
					return err
				}
				id := string(appID)
				keep = id == "NETSCAPE2.0" || id == "ANIMEXTS1.0"
				if keep {
					if _, err := w.Write(append([]byte{0x21, 0xFF, n}, appID...)); err != nil {
						return err
					}
				}
			} else if keep {
				if _, err := w.Write([]byte{0x21, label}); err != nil {
					return err
				}
			}
			if keep {
				err = gifSubBlocks(r, w)
			} else {
				err = gifSubBlocks(r, nil)
			}
			if err != nil {
				return err
			}
		default:
			return errBadImage
		}
	}
}

// gifSubBlocks copies (w != nil) or skips data sub-blocks up to the
// terminator.
func gifSubBlocks(r *bufio.Reader, w *bufio.Writer) error {
	for {
		n, err := r.ReadByte()
		if err != nil {
			return err
		}
		if w != nil {
			if err := w.WriteByte(n); err != nil {
				return err
			}
		}
		if n == 0 {
			return nil
		}
		if w != nil {
			err = copyN(w, r, int(n))
		} else {
			_, err = r.Discard(int(n))
		}
		if err != nil {
			return err
		}
	}
}

func copyN(w io.Writer, r io.Reader, n int) error {
	m, err := io.CopyN(w, r, int64(n))
	if err == nil && m != int64(n) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// stripWebP rewrites a RIFF/WebP file without its EXIF and XMP chunks and
// clears their flags in VP8X. x/image has no WebP encoder, so this filters
// the container; the image chunks pass unchanged. It needs the size of what
// remains before writing the RIFF header, hence a ReadSeeker.
func stripWebP(r io.ReadSeeker, w io.Writer) error {
	type chunk struct {
		fourcc string
		off    int64 // of the data
		size   int64
	}
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return errBadImage
	}
	riffSize := int64(binary.LittleEndian.Uint32(hdr[4:8]))
	var keep []chunk
	total := int64(4) // "WEBP"
	pos := int64(12)
	for pos < 8+riffSize {
		var ch [8]byte
		if _, err := r.Seek(pos, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if errors.Is(err, io.EOF) {
				break // a RIFF size larger than the file: take what is there
			}
			return errBadImage
		}
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		c := chunk{fourcc: string(ch[:4]), off: pos + 8, size: size}
		padded := size + size&1
		if c.fourcc != "EXIF" && c.fourcc != "XMP " {
			keep = append(keep, c)
			total += 8 + padded
		}
		pos += 8 + padded
	}
	if len(keep) == 0 {
		return errBadImage
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	out := []byte("RIFF\x00\x00\x00\x00WEBP")
	binary.LittleEndian.PutUint32(out[4:8], uint32(total))
	if _, err := bw.Write(out); err != nil {
		return err
	}
	for _, c := range keep {
		var ch [8]byte
		copy(ch[:4], c.fourcc)
		binary.LittleEndian.PutUint32(ch[4:], uint32(c.size))
		if _, err := bw.Write(ch[:]); err != nil {
			return err
		}
		if _, err := r.Seek(c.off, io.SeekStart); err != nil {
			return err
		}
		padded := c.size + c.size&1
		if c.fourcc == "VP8X" && c.size >= 1 {
			flags, err := bufio.NewReader(io.LimitReader(r, 1)).ReadByte()
			if err != nil {
				return errBadImage
			}
			if err := bw.WriteByte(flags &^ (0x08 | 0x04)); err != nil { // EXIF, XMP
				return err
			}
			padded--
		}
		if m, err := io.CopyN(bw, r, padded); err != nil || m != padded {
			// An odd last chunk may lack its pad byte.
			if !(errors.Is(err, io.EOF) && m == padded-1 && c.size&1 == 1) {
				return errBadImage
			}
			if err := bw.WriteByte(0); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// imageConfig reads the dimensions from the header, without decoding pixels.
func imageConfig(r io.Reader) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(r)
	return cfg, err
}
