package seed

import "familycare/model"

func (s *seeder) teams() error {
	team := &model.DoctorTeam{ClinicID: s.clinicsBy["shiqiao"].ID, Name: "石桥镇家庭医生一团队", Description: "负责石桥镇及柳树村签约居民"}
	if err := s.tx.Create(team).Error; err != nil {
		return err
	}
	for _, d := range []model.TeamDoctor{
		{Name: "赵立新", Title: "全科主治医师", Role: model.TeamRoleLead},
		{Name: "孙梅", Title: "主管护师", Role: model.TeamRoleNurse},
		{Name: "周强", Title: "公卫医师", Role: model.TeamRolePublicHealth},
		{Name: "吴静", Title: "药师", Role: model.TeamRolePharmacist},
	} {
		d := d
		d.TeamID = team.ID
		if err := s.tx.Create(&d).Error; err != nil {
			return err
		}
	}
	return nil
}
