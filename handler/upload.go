package handler

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

// uploadRoute is the upload route's full path (limits gives it a larger
// body cap).
const uploadRoute = "/api/v1/uploads"

// uploadReadTime is how long an upload's body may take to arrive.
const uploadReadTime = 3 * time.Minute

// multipartSlack is room for the multipart framing and the purpose field
// around the file.
const multipartSlack = 64 << 10

func uploadMax(svc Services) int64 {
	if svc.Uploads == nil {
		return 0
	}
	return svc.Uploads.MaxBytes()
}

func (a *API) uploadRoutes(r *gin.Engine, authed, staff *gin.RouterGroup) {
	if a.svc.Uploads == nil {
		return
	}
	authed.POST("/uploads", a.createUpload)
	staff.GET("/uploads/review", a.listReviewUploads)
	staff.POST("/uploads/:id/verdict", a.decideUpload)
	if local, ok := a.svc.Uploads.Store().(*service.LocalStore); ok {
		r.GET("/files/:name", func(c *gin.Context) { serveLocalFile(c, local) })
		r.HEAD("/files/:name", func(c *gin.Context) { serveLocalFile(c, local) })
	}
}

// UploadDTO is an uploaded image.
type UploadDTO struct {
	ID          int64  `json:"id" example:"41"`
	URL         string `json:"url" example:"/files/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg"`
	Purpose     string `json:"purpose" enums:"post,comment,consultation,avatar,article_cover" example:"post"`
	ContentType string `json:"content_type" enums:"image/jpeg,image/png,image/webp,image/gif" example:"image/jpeg"`
	Size        int64  `json:"size" example:"183220"`
	Width       int    `json:"width" example:"1080"`
	Height      int    `json:"height" example:"1440"`
	// Check is WeChat's content check: none (not checked: staff uploads,
	// consultation images), pending (seen by the uploader and staff only
	// until WeChat answers), pass, review (staff decide), risky (removed).
	Check     string    `json:"check" enums:"none,pending,pass,review,risky" example:"pending"`
	CreatedAt time.Time `json:"created_at"`
}

func toUploadDTO(a *API, v service.UploadView) UploadDTO {
	return UploadDTO{ID: v.ID, URL: v.URL, Purpose: v.Purpose, ContentType: v.ContentType, Size: v.Size,
		Width: v.Width, Height: v.Height, Check: v.CheckState, CreatedAt: a.timeIn(v.CreatedAt)}
}

// createUpload godoc
// @Summary      Upload an image (wx.uploadFile)
// @Description  multipart/form-data with `file` (JPEG, PNG, WebP or GIF, judged by its bytes, not its name) and `purpose`. Metadata (EXIF with GPS, XMP, comments) is removed; the EXIF orientation alone is kept. Images residents post for others are checked by WeChat: until the result, only the uploader and staff see them. Attach the id to a post (`upload_ids`), comment, avatar or article cover within a day, or it is deleted.
// @Tags         uploads
// @Accept       mpfd
// @Produce      json
// @Security     Bearer
// @Param        file     formData file   true "the image"
// @Param        purpose  formData string true "where it will be used" Enums(post, comment, consultation, avatar, article_cover)
// @Success      201 {object} UploadDTO
// @Failure      400 {object} ErrorResponse "not multipart"
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse "article_cover by a resident"
// @Failure      413 {object} ErrorResponse "file_too_large"
// @Failure      415 {object} ErrorResponse "unsupported_media_type"
// @Failure      422 {object} ErrorResponse "invalid_request, image_broken, image_too_many_pixels"
// @Router       /api/v1/uploads [post]
func (a *API) createUpload(c *gin.Context) {
	mr, err := c.Request.MultipartReader()
	if err != nil {
		abortWith(c, http.StatusBadRequest, "bad_multipart", "请用 wx.uploadFile 上传图片", nil)
		return
	}
	var (
		purpose string
		staged  *service.StagedUpload
	)
	defer func() { staged.Close() }()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			a.uploadReadFailed(c, err)
			return
		}
		switch part.FormName() {
		case "file":
			if staged != nil {
				fail(c, service.InvalidField("file", "只能上传一张图片"))
				return
			}
			staged, err = a.svc.Uploads.Stage(part)
			if err != nil {
				a.uploadReadFailed(c, err)
				return
			}
		case "purpose":
			raw, err := io.ReadAll(io.LimitReader(part, 64))
			if err != nil {
				a.uploadReadFailed(c, err)
				return
			}
			purpose = strings.TrimSpace(string(raw))
		}
		_ = part.Close()
	}
	if staged == nil {
		fail(c, service.InvalidField("file", "请选择图片"))
		return
	}
	v, err := a.svc.Uploads.Create(c.Request.Context(), principal(c), purpose, staged)
	if err != nil {
		fail(c, err)
		return
	}
	created(c, toUploadDTO(a, v))
}

// uploadReadFailed maps a failure while reading the body: over the cap is
// 413, a cut or malformed body 400, anything else passes to fail.
func (a *API) uploadReadFailed(c *gin.Context, err error) {
	var se *service.Error
	switch {
	case errBodyTooLarge(err):
		fail(c, service.ErrFileTooLarge.With(map[string]any{"max_bytes": a.svc.Uploads.MaxBytes()}))
	case errors.As(err, &se):
		fail(c, err)
	case errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "multipart"):
		abortWith(c, http.StatusBadRequest, "bad_multipart", "上传中断，请重试", nil)
	default:
		fail(c, err)
	}
}

// serveLocalFile serves a file of the local store. Names are the content's
// hash, so the answer never changes: cache it for a year.
func serveLocalFile(c *gin.Context, s *service.LocalStore) {
	name := c.Param("name")
	p := s.Path(name)
	if p == "" {
		abortWith(c, http.StatusNotFound, "not_found", "no such file", nil)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		abortWith(c, http.StatusNotFound, "not_found", "no such file", nil)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fail(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Type", contentTypeOfKey(name))
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Writer, c.Request, "", st.ModTime(), f)
}

func contentTypeOfKey(name string) string {
	switch name[strings.LastIndexByte(name, '.')+1:] {
	case "jpg":
		return service.ImageJPEG
	case "png":
		return service.ImagePNG
	case "webp":
		return service.ImageWebP
	}
	return service.ImageGIF
}

// UploadList is the image moderation queue.
type UploadList struct {
	Items []UploadDTO `json:"items"`
}

// listReviewUploads godoc
// @Summary   Images WeChat handed to a human (check review), oldest first
// @Tags      uploads
// @Produce   json
// @Security  Bearer
// @Success   200 {object} UploadList
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Router    /api/v1/staff/uploads/review [get]
func (a *API) listReviewUploads(c *gin.Context) {
	vs, err := a.svc.Uploads.ReviewQueue(c.Request.Context(), 100)
	if err != nil {
		fail(c, err)
		return
	}
	out := UploadList{Items: make([]UploadDTO, 0, len(vs))}
	for _, v := range vs {
		out.Items = append(out.Items, toUploadDTO(a, v))
	}
	ok(c, out)
}

// UploadVerdictRequest is staff's decision on an image under review.
type UploadVerdictRequest struct {
	Verdict string `json:"verdict" binding:"required,oneof=pass risky" enums:"pass,risky"`
}

// decideUpload godoc
// @Summary      Decide an image under review
// @Description  pass shows it to everyone; risky removes it (file deleted) and tells the uploader.
// @Tags         uploads
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int                  true "upload id"
// @Param        body body UploadVerdictRequest true "verdict"
// @Success      200 {object} UploadDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "invalid_transition: not under review"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/uploads/{id}/verdict [post]
func (a *API) decideUpload(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	var req UploadVerdictRequest
	if !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Uploads.Decide(c.Request.Context(), id, req.Verdict)
	if err != nil {
		fail(c, err)
		return
	}
	ok(c, toUploadDTO(a, v))
}
