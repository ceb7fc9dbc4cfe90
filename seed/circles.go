package seed

import "familycare/model"

func (s *seeder) circles() error {
	for _, c := range []model.Circle{
		{Slug: "beiyun", Name: "备孕圈", Description: "备孕知识、孕前检查、叶酸补充，和准备要宝宝的姐妹一起交流。", Stage: "preconception"},
		{Slug: "yunma", Name: "孕妈圈", Description: "孕期饮食、产检安排、孕期不适，孕妈妈们互相帮助。", Stage: "pregnancy"},
		{Slug: "baoma", Name: "宝妈圈", Description: "母乳喂养、辅食添加、宝宝睡眠，新手妈妈经验分享。", Stage: "postpartum"},
	} {
		c := c
		if err := s.tx.Create(&c).Error; err != nil {
			return err
		}
	}
	return nil
}
