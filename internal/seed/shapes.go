package seed

import "image/color"

// drawShape draws the silhouette of a department's products in design
// coordinates (600×600, floor at y≈470).
func drawShape(p *painter, shape string, c color.RGBA) {
	dark, light := shade(c, 0.7), tint(c, 0.35)
	switch shape {
	case "garment": // a T-shirt
		p.moveTo(210, 150)
		p.lineTo(255, 132)
		p.quadTo(300, 190, 345, 132)
		for _, xy := range [][2]float32{{390, 150}, {470, 215}, {432, 275}, {400, 255}, {400, 470}, {200, 470}, {200, 255}, {168, 275}, {130, 215}} {
			p.lineTo(xy[0], xy[1])
		}
		p.fill(c)
		p.rect(296, 160, 304, 470, dark)
	case "shoe":
		p.moveTo(130, 420)
		p.lineTo(130, 330)
		p.quadTo(140, 300, 190, 300)
		p.lineTo(260, 292)
		p.quadTo(320, 300, 360, 340)
		p.quadTo(430, 360, 475, 372)
		p.quadTo(505, 385, 500, 420)
		p.fill(c)
		p.rect(125, 418, 505, 440, dark)
		p.poly(light, 200, 305, 250, 300, 300, 330, 240, 335)
	case "vase":
		p.moveTo(262, 150)
		p.lineTo(338, 150)
		p.lineTo(330, 192)
		p.quadTo(420, 260, 402, 360)
		p.quadTo(392, 450, 340, 470)
		p.lineTo(260, 470)
		p.quadTo(208, 450, 198, 360)
		p.quadTo(180, 260, 270, 192)
		p.fill(c)
		p.ellipse(300, 152, 38, 8, dark)
		p.rect(215, 300, 385, 318, light)
	case "chair":
		p.rect(385, 140, 415, 470, c)
		p.rect(185, 318, 415, 346, c)
		p.rect(190, 346, 214, 470, dark)
		p.rect(200, 330, 400, 338, light)
	case "device":
		p.rect(150, 170, 450, 400, dark)
		p.rect(165, 185, 435, 385, light)
		p.rect(286, 400, 314, 450, c)
		p.rect(225, 450, 375, 466, c)
	case "bottle":
		p.rect(228, 232, 372, 470, c)
		p.rect(274, 170, 326, 235, c)
		p.rect(264, 128, 336, 176, dark)
		p.rect(244, 300, 356, 400, light)
	case "ball":
		p.ellipse(300, 330, 140, 140, c)
		p.ellipse(250, 280, 38, 30, light)
		p.rect(160, 326, 440, 334, dark)
	case "bear":
		p.ellipse(300, 400, 95, 75, c)
		p.ellipse(220, 200, 45, 45, c)
		p.ellipse(380, 200, 45, 45, c)
		p.ellipse(300, 270, 110, 100, c)
		p.ellipse(300, 305, 45, 34, light)
		p.ellipse(300, 292, 14, 10, dark)
		p.ellipse(262, 250, 9, 9, dark)
		p.ellipse(338, 250, 9, 9, dark)
	case "book":
		p.rect(412, 150, 428, 462, color.RGBA{246, 242, 230, 255})
		p.rect(200, 140, 420, 470, c)
		p.rect(200, 140, 232, 470, dark)
		p.rect(260, 200, 390, 214, light)
		p.rect(260, 230, 360, 240, light)
	case "plant":
		for _, l := range [][4]float32{{300, 210, 40, 95}, {235, 260, 70, 36}, {365, 260, 70, 36}, {255, 200, 36, 70}, {345, 200, 36, 70}} {
			p.ellipse(l[0], l[1], l[2], l[3], color.RGBA{64, 130, 72, 255})
		}
		p.poly(c, 225, 340, 375, 340, 352, 470, 248, 470)
		p.rect(218, 330, 382, 352, dark)
	case "jar":
		p.rect(222, 232, 378, 470, c)
		p.rect(232, 190, 368, 236, dark)
		p.rect(236, 300, 364, 400, color.RGBA{248, 244, 236, 255})
		p.rect(256, 340, 344, 352, dark)
	case "paw":
		p.ellipse(300, 380, 92, 76, c)
		for _, t := range [][2]float32{{205, 280}, {262, 225}, {338, 225}, {395, 280}} {
			p.ellipse(t[0], t[1], 36, 44, c)
		}
	default: // "ring"
		p.ellipsePath(300, 340, 130, 120, false)
		p.ellipsePath(300, 340, 100, 92, true)
		p.fill(c)
		p.poly(light, 300, 160, 340, 205, 300, 240, 260, 205)
		p.poly(dark, 300, 160, 340, 205, 300, 205)
	}
}
