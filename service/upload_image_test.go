package service

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color/palette"
	"image/gif"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/webp"
)

// tinyWebP is a 1x1 lossless WebP.
var tinyVP8L = []byte("VP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

func riff(chunks ...[]byte) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		body = append(body, c...)
	}
	out := []byte("RIFF\x00\x00\x00\x00")
	binary.LittleEndian.PutUint32(out[4:], uint32(len(body)))
	return append(out, body...)
}

func webpChunk(fourcc string, data []byte) []byte {
	c := []byte(fourcc + "\x00\x00\x00\x00")
	binary.LittleEndian.PutUint32(c[4:], uint32(len(data)))
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

func TestStripWebP_DropsEXIFAndXMP(t *testing.T) {
	vp8x := []byte{0x08 | 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0} // EXIF+XMP flags, 1x1
	in := riff(webpChunk("VP8X", vp8x), tinyVP8L, webpChunk("EXIF", []byte("MM\x00\x2aGPS secret")), webpChunk("XMP ", []byte("<x:xmpmeta>where</x:xmpmeta>")))
	if _, err := webp.DecodeConfig(bytes.NewReader(in)); err != nil {
		t.Fatalf("test input does not parse: %v", err)
	}
	p := filepath.Join(t.TempDir(), "in.webp")
	if err := os.WriteFile(p, in, 0o600); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(p)
	defer f.Close()
	var out bytes.Buffer
	if err := stripWebP(f, &out); err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	if bytes.Contains(b, []byte("GPS secret")) || bytes.Contains(b, []byte("xmpmeta")) {
		t.Fatal("metadata kept")
	}
	if int(binary.LittleEndian.Uint32(b[4:8])) != len(b)-8 {
		t.Fatalf("RIFF size %d, file %d", binary.LittleEndian.Uint32(b[4:8]), len(b))
	}
	if b[20]&(0x08|0x04) != 0 {
		t.Fatalf("VP8X flags %#x still announce metadata", b[20])
	}
	cfg, err := webp.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != 1 {
		t.Fatalf("stripped WebP: %v %+v", err, cfg)
	}
	if _, err := webp.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("stripped WebP does not decode: %v", err)
	}
}

func TestStripGIF_DropsCommentsAndXMP(t *testing.T) {
	img := image.NewPaletted(image.Rect(0, 0, 4, 4), palette.Plan9)
	var g bytes.Buffer
	if err := gif.EncodeAll(&g, &gif.GIF{Image: []*image.Paletted{img, img}, Delay: []int{10, 10}, LoopCount: 0}); err != nil {
		t.Fatal(err)
	}
	raw := g.Bytes()
	gct := 0
	if raw[10]&0x80 != 0 {
		gct = 3 << (int(raw[10]&7) + 1)
	}
	at := 13 + gct
	comment := append([]byte{0x21, 0xFE, 11}, []byte("home addr 1")...)
	comment = append(comment, 0)
	xmp := append([]byte{0x21, 0xFF, 11}, []byte("XMP DataXMP")...)
	xmp = append(append(xmp, 5), []byte("where")...)
	xmp = append(xmp, 0)
	in := append(append(append(append([]byte{}, raw[:at]...), comment...), xmp...), raw[at:]...)
	var out bytes.Buffer
	if err := stripMetadata(ImageGIF, bytes.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out.Bytes(), []byte("home addr")) || bytes.Contains(out.Bytes(), []byte("XMP DataXMP")) {
		t.Fatal("metadata kept")
	}
	dec, err := gif.DecodeAll(bytes.NewReader(out.Bytes()))
	if err != nil || len(dec.Image) != 2 || dec.LoopCount != 0 {
		t.Fatalf("stripped GIF: %v", err)
	}
}
