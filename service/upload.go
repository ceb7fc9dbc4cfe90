package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// Upload errors (short Chinese messages for wx.showToast).
var (
	ErrFileTooLarge      = newErr(KindTooLarge, "file_too_large", "图片太大了，请压缩后再传")
	ErrUnsupportedMedia  = newErr(KindUnsupported, "unsupported_media_type", "只支持 JPG、PNG、WebP、GIF 图片")
	ErrImageBroken       = newErr(KindInvalid, "image_broken", "图片已损坏，请换一张")
	ErrImageTooManyPixel = newErr(KindInvalid, "image_too_many_pixels", "图片尺寸过大，请缩小后再传")
	ErrUploadNotUsable   = newErr(KindInvalid, "upload_not_usable", "图片不可用，请重新上传")
)

// MediaChecker sends an image to WeChat's asynchronous content check
// (mediaCheckAsync v2); the result comes back by message push.
type MediaChecker interface {
	CheckMediaAsync(ctx context.Context, openID string, scene TextScene, mediaURL string) (traceID string, err error)
}

// UploadOptions are the upload limits and where files go.
type UploadOptions struct {
	MaxBytes  int64 // largest accepted file
	MaxPixels int64 // width × height cap (decompression bombs)
	TempDir   string
	// PublicBaseURL makes a relative store URL absolute for WeChat's
	// media check, which fetches the image itself.
	PublicBaseURL string
}

// UploadService takes images in, cleans them, stores them and tracks their
// content check and attachment.
type UploadService struct {
	db      *gorm.DB
	clock   Clock
	store   BlobStore
	checker MediaChecker
	notify  *NotificationService
	opts    UploadOptions
	log     *slog.Logger
}

// NewUploadService builds the service.
func NewUploadService(deps Deps, store BlobStore, checker MediaChecker, notify *NotificationService, o UploadOptions) *UploadService {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 10 << 20
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = 50_000_000
	}
	return &UploadService{db: deps.DB, clock: deps.Clock, store: store, checker: checker, notify: notify, opts: o, log: deps.Log}
}

// MaxBytes is the file size cap.
func (s *UploadService) MaxBytes() int64 { return s.opts.MaxBytes }

// Store is the blob store (the handler serves a local one).
func (s *UploadService) Store() BlobStore { return s.store }

// StagedUpload is a received, checked and cleaned file waiting to be stored.
type StagedUpload struct {
	path        string
	ContentType string
	Size        int64
	Width       int
	Height      int
	Sum         string // hex SHA-256 of the cleaned bytes
}

// Close removes the temporary file.
func (st *StagedUpload) Close() {
	if st != nil && st.path != "" {
		_ = os.Remove(st.path)
	}
}

// Stage reads the file from r, at most MaxBytes (more is ErrFileTooLarge,
// and reading stops there), sniffs its type from its bytes, reads its
// dimensions from the header without decoding pixels (more than MaxPixels
// is refused) and copies it without metadata to a temporary file. Memory
// stays at a few buffers whatever the file.
func (s *UploadService) Stage(r io.Reader) (_ *StagedUpload, err error) {
	raw, err := os.CreateTemp(s.opts.TempDir, "familycare-upload-raw-*")
	if err != nil {
		return nil, err
	}
	defer func() { raw.Close(); os.Remove(raw.Name()) }()
	n, err := io.Copy(raw, io.LimitReader(r, s.opts.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if n > s.opts.MaxBytes {
		return nil, ErrFileTooLarge.With(map[string]any{"max_bytes": s.opts.MaxBytes})
	}
	if _, err := raw.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	head := make([]byte, 16)
	m, _ := io.ReadFull(raw, head)
	ct := sniffImage(head[:m])
	if ct == "" {
		return nil, ErrUnsupportedMedia
	}
	if _, err := raw.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	cfg, err := imageConfig(raw)
	if err != nil {
		return nil, ErrImageBroken.Wrap(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ErrImageBroken
	}
	if int64(cfg.Width)*int64(cfg.Height) > s.opts.MaxPixels {
		return nil, ErrImageTooManyPixel.With(map[string]any{"max_pixels": s.opts.MaxPixels})
	}
	if _, err := raw.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	clean, err := os.CreateTemp(s.opts.TempDir, "familycare-upload-*")
	if err != nil {
		return nil, err
	}
	st := &StagedUpload{path: clean.Name(), ContentType: ct, Width: cfg.Width, Height: cfg.Height}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(clean, h)}
	if ct == ImageWebP {
		err = stripWebP(raw, cw)
	} else {
		err = stripMetadata(ct, raw, cw)
	}
	if cerr := clean.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, errBadImage) {
		return nil, ErrImageBroken.Wrap(err)
	}
	if err != nil {
		return nil, err
	}
	st.Size, st.Sum = cw.n, hex.EncodeToString(h.Sum(nil))
	return st, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// uploadPurposes are the purposes a caller may name.
var uploadPurposes = []string{model.UploadPost, model.UploadComment, model.UploadConsultation, model.UploadAvatar, model.UploadArticleCover}

// checkedPurposes are shown to other residents, so WeChat checks them.
// Consultation images go only to the family's own doctors (staff), the same
// audience a pending image has, and a medical photo (a rash, a wound) must
// not be removed by a machine's guess: they are not sent to WeChat.
var checkedPurposes = []string{model.UploadPost, model.UploadComment, model.UploadAvatar}

// UploadView is an upload as the API shows it.
type UploadView struct {
	model.Upload
	URL string
}

// Create stores a staged file for the caller and records it. Images that
// others will see are sent to WeChat's asynchronous check; until its result
// arrives they are shown to their uploader and staff only.
func (s *UploadService) Create(ctx context.Context, p Principal, purpose string, st *StagedUpload) (UploadView, error) {
	if !slices.Contains(uploadPurposes, purpose) {
		return UploadView{}, InvalidField("purpose", "must be one of post, comment, consultation, avatar, article_cover")
	}
	if purpose == model.UploadArticleCover && !p.IsStaff() {
		return UploadView{}, ErrForbidden
	}
	key := st.Sum + "." + imageExt[st.ContentType]
	f, err := os.Open(st.path)
	if err != nil {
		return UploadView{}, err
	}
	defer f.Close()
	if err := s.store.Put(ctx, key, f, st.Size, st.ContentType); err != nil {
		return UploadView{}, fmt.Errorf("upload: store: %w", err)
	}
	u := model.Upload{UserID: p.UserID, Purpose: purpose, BlobKey: key, ContentType: st.ContentType, Size: st.Size,
		Width: st.Width, Height: st.Height, CheckState: model.CheckNone, CreatedAt: s.clock.Now()}
	needsCheck := s.checker != nil && !p.IsStaff() && slices.Contains(checkedPurposes, purpose)
	if needsCheck {
		u.CheckState = model.CheckPending
	}
	if err := s.db.WithContext(ctx).Create(&u).Error; err != nil {
		return UploadView{}, err
	}
	if needsCheck {
		s.sendCheck(ctx, &u)
	}
	return UploadView{Upload: u, URL: s.store.URL(key)}, nil
}

// sendCheck asks WeChat to check u; a failure leaves the trace id empty and
// the recheck job tries again.
func (s *UploadService) sendCheck(ctx context.Context, u *model.Upload) {
	if s.checker == nil {
		return
	}
	var owner model.User
	if err := s.db.WithContext(ctx).Select("id", "open_id").First(&owner, u.UserID).Error; err != nil {
		s.log.Warn("media check: uploader not found", "upload_id", u.ID)
		return
	}
	scene := SceneForum
	if u.Purpose == model.UploadAvatar {
		scene = SceneProfile
	} else if u.Purpose == model.UploadComment {
		scene = SceneComment
	}
	trace, err := s.checker.CheckMediaAsync(ctx, owner.OpenID, scene, s.absoluteURL(u.BlobKey))
	if err != nil {
		s.log.Warn("media check not sent; will retry", "upload_id", u.ID, "err", err.Error())
		return
	}
	if err := s.db.WithContext(ctx).Model(&model.Upload{}).Where("id = ? AND check_trace_id = ''", u.ID).
		Update("check_trace_id", trace).Error; err != nil {
		s.log.Warn("media check: trace id not saved", "upload_id", u.ID, "err", err.Error())
		return
	}
	u.CheckTraceID = trace
}

func (s *UploadService) absoluteURL(key string) string {
	u := s.store.URL(key)
	if len(u) > 0 && u[0] == '/' {
		return s.opts.PublicBaseURL + u
	}
	return u
}

// URL is where the file of key is loaded.
func (s *UploadService) URL(key string) string { return s.store.URL(key) }

// RecheckPending sends the checks that could not be sent (WeChat was down).
func (s *UploadService) RecheckPending(ctx context.Context) (int, error) {
	var rows []model.Upload
	cutoff := s.clock.Now().Add(-time.Minute)
	if err := s.db.WithContext(ctx).Where("check_state = ? AND check_trace_id = '' AND created_at <= ?", model.CheckPending, cutoff).
		Order("id").Limit(50).Find(&rows).Error; err != nil {
		return 0, err
	}
	n := 0
	for i := range rows {
		s.sendCheck(ctx, &rows[i])
		if rows[i].CheckTraceID != "" {
			n++
		}
	}
	return n, nil
}

// uploadRetention is how long an unattached upload is kept.
const uploadRetention = 24 * time.Hour

// PurgeUnattached deletes, with their files, uploads never attached within
// a day and uploads WeChat found risky (their file is deleted when the
// verdict arrives; this catches a deletion that failed then).
func (s *UploadService) PurgeUnattached(ctx context.Context) (int, error) {
	var rows []model.Upload
	if err := s.db.WithContext(ctx).Where("(attached_at IS NULL OR check_state = ?) AND created_at < ?", model.CheckRisky, s.clock.Now().Add(-uploadRetention)).
		Order("id").Limit(200).Find(&rows).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, u := range rows {
		res := s.db.WithContext(ctx).Where("id = ? AND (attached_at IS NULL OR check_state = ?)", u.ID, model.CheckRisky).Delete(&model.Upload{})
		if res.Error != nil {
			return n, res.Error
		}
		if res.RowsAffected == 1 {
			n++
			s.deleteBlobIfUnused(ctx, u.BlobKey)
		}
	}
	return n, nil
}

// deleteBlobIfUnused removes the file once no upload row names its key (two
// identical uploads share one file).
func (s *UploadService) deleteBlobIfUnused(ctx context.Context, key string) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&model.Upload{}).Where("blob_key = ?", key).Count(&n).Error; err != nil || n > 0 {
		return
	}
	if err := s.store.Delete(ctx, key); err != nil {
		s.log.Warn("upload file not deleted", "err", err.Error())
	}
}

// Attach marks the caller's uploads ids as belonging to refType/refID inside
// tx. Each must be the caller's, of the purpose, and not attached
// elsewhere: anything else is 422 upload_not_usable (never a hint that
// someone else's upload exists).
func Attach(tx *gorm.DB, now time.Time, userID int64, purpose, refType string, refID int64, ids []int64) ([]model.Upload, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			return nil, ErrUploadNotUsable.With(map[string]any{"upload_id": id})
		}
		seen[id] = true
	}
	for _, id := range ids {
		res := tx.Model(&model.Upload{}).
			Where("id = ? AND user_id = ? AND purpose = ? AND ref_type = '' AND check_state <> ?", id, userID, purpose, model.CheckRisky).
			Updates(map[string]any{"ref_type": refType, "ref_id": refID, "attached_at": now})
		if res.Error != nil {
			return nil, res.Error
		}
		if res.RowsAffected != 1 {
			return nil, ErrUploadNotUsable.With(map[string]any{"upload_id": id})
		}
	}
	var rows []model.Upload
	if err := tx.Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b model.Upload) int { return slices.Index(ids, a.ID) - slices.Index(ids, b.ID) })
	return rows, nil
}

// attachedIn returns the uploads attached to refType/refIDs, by ref id, in
// upload order, read through db (the caller's context or transaction).
func (s *UploadService) attachedIn(db *gorm.DB, refType string, refIDs []int64) (map[int64][]model.Upload, error) {
	out := map[int64][]model.Upload{}
	if len(refIDs) == 0 {
		return out, nil
	}
	var rows []model.Upload
	if err := db.Where("ref_type = ? AND ref_id IN ?", refType, refIDs).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, u := range rows {
		out[u.RefID] = append(out[u.RefID], u)
	}
	return out, nil
}

// VisibleTo reports whether viewer may see u: passed or unchecked images
// are public; pending and review ones only to their uploader and staff;
// risky ones to nobody.
func VisibleTo(u model.Upload, viewer Principal) bool {
	switch u.CheckState {
	case model.CheckNone, model.CheckPass:
		return true
	case model.CheckPending, model.CheckReview:
		return viewer.UserID == u.UserID || viewer.IsStaff()
	}
	return false
}

// DeleteAttached deletes the uploads attached to refType/refIDs and their
// files (a deleted post takes its photos with it).
func (s *UploadService) DeleteAttached(ctx context.Context, refType string, refIDs []int64) error {
	if len(refIDs) == 0 {
		return nil
	}
	var rows []model.Upload
	if err := s.db.WithContext(ctx).Where("ref_type = ? AND ref_id IN ?", refType, refIDs).Find(&rows).Error; err != nil {
		return err
	}
	return s.deleteRows(ctx, rows)
}

// DeleteUser deletes every upload of a user and their files (account
// deletion).
func (s *UploadService) DeleteUser(ctx context.Context, userID int64) error {
	var rows []model.Upload
	if err := s.db.WithContext(ctx).Where("user_id = ?", userID).Find(&rows).Error; err != nil {
		return err
	}
	return s.deleteRows(ctx, rows)
}

func (s *UploadService) deleteRows(ctx context.Context, rows []model.Upload) error {
	for _, u := range rows {
		if err := s.db.WithContext(ctx).Delete(&model.Upload{}, u.ID).Error; err != nil {
			return err
		}
		s.deleteBlobIfUnused(ctx, u.BlobKey)
	}
	return nil
}

// ListUser lists a user's uploads (account export).
func (s *UploadService) ListUser(ctx context.Context, userID int64) ([]UploadView, error) {
	var rows []model.Upload
	if err := s.db.WithContext(ctx).Where("user_id = ?", userID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]UploadView, len(rows))
	for i, u := range rows {
		out[i] = UploadView{Upload: u, URL: s.store.URL(u.BlobKey)}
	}
	return out, nil
}

// applyVerdict moves an upload waiting for a check (pending, or review
// with staff) to state inside tx. Risky: the uploader is told, and the
// returned func (run after the commit) deletes the file — the same bytes
// are risky whoever uploaded them.
func (s *UploadService) applyVerdict(tx *gorm.DB, u model.Upload, state string) (func(), error) {
	res := tx.Model(&model.Upload{}).Where("id = ? AND check_state IN ?", u.ID, []string{model.CheckPending, model.CheckReview}).
		Update("check_state", state)
	if res.Error != nil || res.RowsAffected == 0 {
		return nil, res.Error
	}
	if state == model.CheckPass && u.RefType == RefUserAvatar {
		return nil, s.useAvatar(tx, u)
	}
	if state != model.CheckRisky {
		return nil, nil
	}
	if s.notify != nil {
		if err := s.notify.Notify(tx, Notice{UserID: u.UserID, Event: EventImageRemoved, Title: "图片未通过审核",
			Body: "你上传的一张图片不符合平台规范，已被移除。", RefType: u.RefType, RefID: u.RefID}); err != nil {
			return nil, err
		}
	}
	key := u.BlobKey
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := s.store.Delete(ctx, key); err != nil {
			s.log.Warn("risky image file not deleted; the purge job retries", "err", err.Error())
		}
	}, nil
}

// ReviewQueue lists the uploads WeChat handed to a human (check review),
// oldest first: the image moderation queue.
func (s *UploadService) ReviewQueue(ctx context.Context, limit int) ([]UploadView, error) {
	var rows []model.Upload
	if err := s.db.WithContext(ctx).Where("check_state = ?", model.CheckReview).Order("created_at, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]UploadView, len(rows))
	for i, u := range rows {
		out[i] = UploadView{Upload: u, URL: s.store.URL(u.BlobKey)}
	}
	return out, nil
}

// Decide is staff's verdict on an upload under review: pass or risky.
func (s *UploadService) Decide(ctx context.Context, id int64, verdict string) (UploadView, error) {
	state := map[string]string{"pass": model.CheckPass, "risky": model.CheckRisky}[verdict]
	if state == "" {
		return UploadView{}, InvalidField("verdict", "must be pass or risky")
	}
	var after func()
	var u model.Upload
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.First(&u, id).Error; err != nil {
			return notFound(err)
		}
		if u.CheckState != model.CheckReview {
			return ErrInvalidTransition.With(map[string]any{"check": u.CheckState})
		}
		f, err := s.applyVerdict(tx, u, state)
		after = f
		return err
	})
	if err != nil {
		return UploadView{}, err
	}
	if after != nil {
		after()
	}
	u.CheckState = state
	return UploadView{Upload: u, URL: s.store.URL(u.BlobKey)}, nil
}

// RefUserAvatar is the ref type of an avatar upload (ref id: the user).
const RefUserAvatar = "user_avatar"

// useAvatar makes u the user's avatar and lets the previous avatar upload
// go (unattached, the purge job deletes it).
func (s *UploadService) useAvatar(tx *gorm.DB, u model.Upload) error {
	if err := tx.Model(&model.User{}).Where("id = ?", u.UserID).Update("avatar_url", s.store.URL(u.BlobKey)).Error; err != nil {
		return err
	}
	return tx.Model(&model.Upload{}).Where("ref_type = ? AND ref_id = ? AND id <> ?", RefUserAvatar, u.UserID, u.ID).
		Updates(map[string]any{"ref_type": "", "ref_id": 0, "attached_at": nil}).Error
}
