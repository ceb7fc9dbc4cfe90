package handler_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"familycare/config"
	"familycare/model"
	"familycare/testkit"
)

// testJPEG encodes a small JPEG.
func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x%h, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gpsMarker is the text planted in the EXIF of the GPS-tagged photo.
const gpsMarker = "GPS 30.2741N 120.1551E home of the mother"

// withGPSExif inserts an APP1 EXIF segment (orientation 6 and a GPS IFD
// holding gpsMarker) and a comment right after SOI.
func withGPSExif(jpg []byte) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8,
		0, 2, // two entries
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, // Orientation = 6
		0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38, // GPS IFD pointer
		0, 0, 0, 0}
	tiff = append(tiff, []byte(gpsMarker)...)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	com := []byte{0xFF, 0xFE, 0, byte(2 + len("shot at 12 Home Street"))}
	com = append(com, "shot at 12 Home Street"...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, com...)
	return append(out, jpg[2:]...)
}

// multipartBody builds what wx.uploadFile sends.
func multipartBody(t testing.TB, filename string, file []byte, purpose string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if purpose != "" {
		_ = mw.WriteField("purpose", purpose)
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

type uploadAnswer struct {
	ID          int64  `json:"id"`
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Check       string `json:"check"`
	Size        int64  `json:"size"`
}

func upload(t testing.TB, h *testkit.Harness, u testkit.User, filename string, file []byte, purpose string) *testkit.Response {
	t.Helper()
	body, ct := multipartBody(t, filename, file, purpose)
	return h.Do("POST", "/api/v1/uploads", body, testkit.Token(u.Token), testkit.Header("Content-Type", ct))
}

func TestUpload_JPEG_StoredServedAndChecked(t *testing.T) {
	h := testkit.New(t)
	mom := h.Login("mom-up")
	var a uploadAnswer
	upload(t, h, mom, "rash.jpg", testJPEG(t, 64, 48), "post").Expect(201).JSON(&a)
	if a.ContentType != "image/jpeg" || a.Width != 64 || a.Height != 48 || a.Check != "pending" || !strings.HasPrefix(a.URL, "https://api.familycare.test/files/") {
		t.Fatalf("answer %+v", a)
	}
	checks := h.WeChat.MediaChecks()
	if len(checks) != 1 || checks[0].OpenID != "mom-up" || checks[0].Scene != 3 ||
		checks[0].MediaURL != a.URL {
		t.Fatalf("media checks %+v", checks)
	}
	res := h.Do("GET", a.URL, nil).Expect(200)
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("headers %v", res.Header)
	}
	if int64(len(res.Body)) != a.Size {
		t.Fatalf("served %d bytes, answer says %d", len(res.Body), a.Size)
	}
	// Content-addressed: the name is the hash of the stored bytes.
	name := a.URL[strings.LastIndexByte(a.URL, '/')+1:]
	if _, err := os.Stat(filepath.Join(h.Config.UploadDir, name[:2], name)); err != nil {
		t.Fatalf("file not on disk: %v", err)
	}
	h.Do("GET", "/files/../../etc/passwd", nil).Expect(404)
}

func TestUpload_GPSTaggedPhoto_MetadataStripped(t *testing.T) {
	h := testkit.New(t)
	mom := h.Login("mom-gps")
	tagged := withGPSExif(testJPEG(t, 40, 30))
	if !bytes.Contains(tagged, []byte(gpsMarker)) {
		t.Fatal("test photo lacks its GPS marker")
	}
	var a uploadAnswer
	upload(t, h, mom, "IMG_0001.JPG", tagged, "post").Expect(201).JSON(&a)
	stored := h.Do("GET", a.URL, nil).Expect(200).Body
	for _, leak := range []string{gpsMarker, "Home Street"} {
		if bytes.Contains(stored, []byte(leak)) {
			t.Fatalf("stored file still holds %q", leak)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(stored))
	if err != nil || img.Bounds().Dx() != 40 {
		t.Fatalf("stored file does not decode as the same image: %v", err)
	}
	// The orientation survives in a minimal EXIF, so the photo stays upright.
	if !bytes.Contains(stored, []byte("Exif\x00\x00MM")) || bytes.Count(stored, []byte{0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6}) != 1 {
		t.Fatal("orientation not kept")
	}
}

func TestUpload_PNGTextChunksStripped(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("png-up")
	p := testPNG(t, 10, 10)
	// Insert a tEXt chunk after IHDR (8 + 25 bytes).
	text := "Location\x00Hangzhou 3rd"
	chunk := []byte{0, 0, 0, byte(len(text)), 't', 'E', 'X', 't'}
	chunk = append(chunk, text...)
	chunk = append(chunk, 0, 0, 0, 0)
	p = append(append(append([]byte{}, p[:33]...), chunk...), p[33:]...)
	var a uploadAnswer
	upload(t, h, u, "x.png", p, "comment").Expect(201).JSON(&a)
	stored := h.Do("GET", a.URL, nil).Expect(200).Body
	if bytes.Contains(stored, []byte("Hangzhou")) {
		t.Fatal("tEXt chunk kept")
	}
	if _, err := png.Decode(bytes.NewReader(stored)); err != nil {
		t.Fatalf("stored PNG broken: %v", err)
	}
}

func TestUpload_Refusals(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) { c.UploadMaxBytes = 200 << 10; c.UploadMaxPixels = 1_000_000 }))
	u := h.Login("refused")
	// Mislabelled: a PNG called .jpg is taken as the PNG it is.
	var a uploadAnswer
	upload(t, h, u, "photo.jpg", testPNG(t, 8, 8), "post").Expect(201).JSON(&a)
	if a.ContentType != "image/png" || !strings.HasSuffix(a.URL, ".png") {
		t.Fatalf("mislabelled PNG: %+v", a)
	}
	// A script called .jpg is refused whatever its name.
	upload(t, h, u, "photo.jpg", []byte("<script>alert(1)</script>"), "post").ExpectError(http.StatusUnsupportedMediaType, "unsupported_media_type")
	// Too big: 413 in the envelope.
	big := append(testJPEG(t, 8, 8), make([]byte, 300<<10)...)
	upload(t, h, u, "big.jpg", big, "post").ExpectError(http.StatusRequestEntityTooLarge, "file_too_large")
	// Just over the cap (within the multipart slack): the bounded reader
	// stops at the cap.
	over := append(testJPEG(t, 8, 8), make([]byte, 200<<10)...)
	upload(t, h, u, "over.jpg", over, "post").ExpectError(http.StatusRequestEntityTooLarge, "file_too_large")
	// A decompression bomb: a tiny PNG header claiming 20000 x 20000.
	bomb := testPNG(t, 1, 1)
	binary.BigEndian.PutUint32(bomb[16:], 20000)
	binary.BigEndian.PutUint32(bomb[20:], 20000)
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	upload(t, h, u, "bomb.png", bomb, "post").ExpectError(422, "image_too_many_pixels")
	// Truncated image, unknown purpose, missing file, resident article cover.
	upload(t, h, u, "cut.jpg", testJPEG(t, 8, 8)[:40], "post").ExpectError(422, "image_broken")
	upload(t, h, u, "a.jpg", testJPEG(t, 8, 8), "banner").ExpectError(422, "invalid_request")
	upload(t, h, u, "", nil, "post").ExpectError(422, "invalid_request")
	upload(t, h, u, "a.jpg", testJPEG(t, 8, 8), "article_cover").ExpectError(403, "forbidden")
	h.Do("POST", "/api/v1/uploads", `{"file":"x"}`, testkit.Token(u.Token)).ExpectError(400, "bad_multipart")
	var n int64
	h.DB.Model(&model.Upload{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d upload rows, want 1 (the mislabelled PNG)", n)
	}
}

func TestUpload_Lifecycle_PurgeExportAccountDelete(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("life-user")
	var kept, stray uploadAnswer
	upload(t, h, u, "a.jpg", testJPEG(t, 20, 10), "consultation").Expect(201).JSON(&kept)
	if kept.Check != "none" || len(h.WeChat.MediaChecks()) != 0 {
		t.Fatalf("consultation images are not sent to WeChat: %+v", kept)
	}
	upload(t, h, u, "b.png", testPNG(t, 5, 5), "comment").Expect(201).JSON(&stray)
	// Mark the first attached, as a consultation would.
	h.DB.Model(&model.Upload{}).Where("id = ?", kept.ID).Updates(map[string]any{"ref_type": "consultation", "ref_id": 7, "attached_at": h.Clock.Now()})
	h.Clock.Advance(23 * time.Hour)
	if n, err := h.App.Services.Uploads.PurgeUnattached(context.Background()); err != nil || n != 0 {
		t.Fatalf("purged %d before a day: %v", n, err)
	}
	h.Clock.Advance(2 * time.Hour)
	if n, err := h.App.Services.Uploads.PurgeUnattached(context.Background()); err != nil || n != 1 {
		t.Fatalf("purged %d after a day, want 1: %v", n, err)
	}
	h.Do("GET", stray.URL, nil).Expect(404)
	h.Do("GET", kept.URL, nil).Expect(200)
	var exp struct {
		Uploads []struct {
			ID         int64  `json:"id"`
			URL        string `json:"url"`
			AttachedTo string `json:"attached_to"`
		} `json:"uploads"`
	}
	h.Do("GET", "/api/v1/me/export", nil, testkit.Token(u.Token)).Expect(200).JSON(&exp)
	if len(exp.Uploads) != 1 || exp.Uploads[0].ID != kept.ID || exp.Uploads[0].AttachedTo != "consultation:7" {
		t.Fatalf("export uploads %+v", exp.Uploads)
	}
	h.Do("DELETE", "/api/v1/me", nil, testkit.Token(u.Token)).Expect(204)
	h.Do("GET", kept.URL, nil).Expect(404)
	var n int64
	h.DB.Model(&model.Upload{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d uploads left after the account was deleted", n)
	}
}

// TestUpload_CheckResentWhenWeChatWasDown: the upload succeeds while WeChat
// is down; the image stays pending and the recheck job sends it later.
func TestUpload_CheckResentWhenWeChatWasDown(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("down-user")
	h.WeChat.SetDown(true)
	var a uploadAnswer
	upload(t, h, u, "x.jpg", testJPEG(t, 10, 10), "post").Expect(201).JSON(&a)
	if a.Check != "pending" {
		t.Fatalf("check %s", a.Check)
	}
	h.WeChat.SetDown(false)
	if n, err := h.App.Services.Uploads.RecheckPending(context.Background()); err != nil || n != 0 {
		t.Fatalf("resent %d within the first minute: %v", n, err)
	}
	h.Clock.Advance(2 * time.Minute)
	if n, err := h.App.Services.Uploads.RecheckPending(context.Background()); err != nil || n != 1 {
		t.Fatalf("resent %d, want 1: %v", n, err)
	}
	if n, _ := h.App.Services.Uploads.RecheckPending(context.Background()); n != 0 || len(h.WeChat.MediaChecks()) != 1 {
		t.Fatalf("sent again: %d, fake got %d", n, len(h.WeChat.MediaChecks()))
	}
}
