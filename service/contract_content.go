package service

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"familycare/model"

	"gorm.io/gorm"
)

// Contract content (README, "Family doctor in practice"): a contract names
// its service packages (basic public health, always, plus optional packages
// of the team's clinic, kept as rows of service_packages), the version of
// the agreement text the family accepted and the responsible doctor (a
// member of the team; the team's lead when none is named). A renewal
// carries them over.

// agreementVersion is a version label such as 2026.1 or v3.
var agreementVersion = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$`)

// ensureBasicPackage makes sure the basic public health package exists.
func ensureBasicPackage(tx *gorm.DB) error {
	var n int64
	if err := tx.Model(&model.ServicePackage{}).Where("clinic_id = 0 AND code = ?", model.PackageBasic).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	err := tx.Create(&model.ServicePackage{Code: model.PackageBasic, Name: "基本公共卫生服务包", Active: true,
		Description: "国家基本公共卫生服务：健康档案、健康教育、预防接种、慢病随访、老年人健康管理等"}).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) || (err != nil && strings.Contains(strings.ToLower(err.Error()), "duplicate")) {
		return nil
	}
	return err
}

// contractContent checks what a contract names and fills the defaults:
// the basic package first, the team's lead as responsible doctor.
func contractContent(tx *gorm.DB, team model.DoctorTeam, packages []string, version string, doctor int64) ([]string, string, int64, error) {
	fields := map[string]string{}
	version = strings.TrimSpace(version)
	if version != "" && !agreementVersion.MatchString(version) {
		fields["agreement_version"] = "must be 1 to 32 letters, digits, '.', '-' or '_'"
	}
	if err := ensureBasicPackage(tx); err != nil {
		return nil, "", 0, err
	}
	out := []string{model.PackageBasic}
	for i, code := range packages {
		code = strings.TrimSpace(code)
		if slices.Contains(out, code) {
			continue
		}
		var n int64
		if err := tx.Model(&model.ServicePackage{}).Where("code = ? AND active = ? AND clinic_id IN ?", code, true,
			[]int64{0, team.ClinicID}).Count(&n).Error; err != nil {
			return nil, "", 0, err
		}
		if n == 0 {
			fields[fmt.Sprintf("packages[%d]", i)] = "is not a service package of this clinic"
			continue
		}
		out = append(out, code)
	}
	var members []model.DoctorTeamMember
	if err := tx.Where("team_id = ?", team.ID).Order("id").Find(&members).Error; err != nil {
		return nil, "", 0, err
	}
	if doctor != 0 {
		if !slices.ContainsFunc(members, func(m model.DoctorTeamMember) bool { return m.UserID == doctor }) {
			fields["responsible_doctor_id"] = "must be a member of the team"
		}
	} else if i := slices.IndexFunc(members, func(m model.DoctorTeamMember) bool { return m.Role == model.MemberRoleLead }); i >= 0 {
		doctor = members[i].UserID
	}
	if len(fields) > 0 {
		return nil, "", 0, Invalid(fields)
	}
	return out, version, doctor, nil
}
