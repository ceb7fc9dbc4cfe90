// Command uploads measures the upload route: N concurrent uploads of an
// image of about SIZE bytes to a running familycare server, and the server's
// peak resident memory (VmHWM of -pid) before and after.
//
//	go run ./bench/uploads -base http://127.0.0.1:18081 -pid 1234 -n 50 -size 5000000
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:18081", "server base URL")
	pid := flag.Int("pid", 0, "server process id (for VmHWM)")
	n := flag.Int("n", 50, "concurrent uploads")
	size := flag.Int("size", 5_000_000, "approximate file size in bytes")
	flag.Parse()

	file := noisePNG(*size)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("purpose", "consultation")
	fw, _ := mw.CreateFormFile("file", "photo.png")
	_, _ = fw.Write(file)
	_ = mw.Close()
	payload, ctype := body.Bytes(), mw.FormDataContentType()

	before := hwm(*pid)
	tokens := make([]string, *n)
	for i := range tokens {
		tokens[i] = login(*base, fmt.Sprintf("bench-upload-%d", i))
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	status := make([]int, *n)
	lat := make([]time.Duration, *n)
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest("POST", *base+"/api/v1/uploads", bytes.NewReader(payload))
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("Authorization", "Bearer "+tokens[i])
			t0 := time.Now()
			res, err := http.DefaultClient.Do(req)
			lat[i] = time.Since(t0)
			if err != nil {
				fmt.Fprintln(os.Stderr, "upload:", err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			status[i] = res.StatusCode
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	wall := time.Since(t0)
	ok := 0
	var maxLat time.Duration
	for i, s := range status {
		if s == http.StatusCreated {
			ok++
		}
		maxLat = max(maxLat, lat[i])
	}
	out, _ := json.Marshal(map[string]any{"label": "uploads", "concurrent": *n, "file_bytes": len(file),
		"created": ok, "wall_s": wall.Seconds(), "max_latency_s": maxLat.Seconds(),
		"server_vmhwm_before_kb": before, "server_vmhwm_after_kb": hwm(*pid)})
	fmt.Println(string(out))
	if ok != *n {
		os.Exit(1)
	}
}

// noisePNG is an RGB PNG of random pixels (incompressible) of about size
// bytes.
func noisePNG(size int) []byte {
	side := 1
	for side*side*3 < size {
		side++
	}
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	r := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			img.Set(x, y, color.NRGBA{uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), 255})
		}
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.NoCompression}
	_ = enc.Encode(&b, img)
	return b.Bytes()
}

func login(base, openid string) string {
	res, err := http.Post(base+"/api/v1/auth/dev/login", "application/json", strings.NewReader(`{"openid":"`+openid+`"}`))
	if err != nil {
		fmt.Fprintln(os.Stderr, "login:", err)
		os.Exit(1)
	}
	defer res.Body.Close()
	var v struct {
		Token string `json:"token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&v)
	return v.Token
}

// hwm reads VmHWM (peak resident set, kB) of a process; 0 without one.
func hwm(pid int) int {
	if pid == 0 {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb int
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%d", &kb)
			return kb
		}
	}
	return 0
}
