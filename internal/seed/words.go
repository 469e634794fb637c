package seed

import "image/color"

// Word lists for names and descriptions. Brands and model names are
// invented; any likeness to a real trademark is accidental.

var brands = []string{
	"Northwind", "Aldervane", "Fjordline", "Maison Ardoise", "Kestrel & Co", "Lumen Works", "Oakhaven", "Brightwell",
	"Saltmarsh", "Tidewater", "Copperleaf", "Halden", "Verdant", "Stonebridge", "Larkspur", "Morrow",
	"Pellucid", "Quillon", "Rivermoss", "Sable Street", "Thistledown", "Umbra", "Vantage", "Wrenfield",
	"Yarrow", "Zephyrine", "Ashgrove", "Bellweather", "Cinderhill", "Driftwood Supply", "Emberly", "Foxglove",
	"Greyfriars", "Hearthside", "Ironbark", "Juniper Lane", "Kindling", "Linden & Lowe", "Meadowsweet", "Nettlebed",
	"Orrery", "Pinecrest", "Quarry Row", "Redshank", "Silverbirch", "Tamsin Gray", "Upland", "Vireo",
}

var modelWords = []string{
	"Aster", "Brisa", "Cove", "Dune", "Elm", "Fable", "Glen", "Harbor", "Iris", "Jora", "Kite", "Lark",
	"Mira", "Nova", "Orla", "Pike", "Quay", "Rue", "Sol", "Tarn", "Umi", "Vale", "Wren", "Yara",
	"Alto", "Bexley", "Cairn", "Delta", "Echo", "Flint", "Grove", "Heath", "Isla", "Juno", "Keel", "Loft",
	"Marlow", "Nord", "Oslo", "Prism", "Reed", "Sage", "Terra", "Ulla", "Vega", "Willow", "Zen", "Arlo",
}

var modelSuffixes = []string{"2", "3", "5", "7", "10", "20", "100", "200", "300", "500", "S", "X", "Plus", "Max", "Mini", "Pro"}

var bookAdjectives = []string{"Silent", "Hidden", "Last", "Golden", "Winter", "Broken", "Secret", "Northern", "Forgotten", "Distant", "Burning", "Glass", "Quiet", "Salt", "Paper", "Midnight"}
var bookNouns = []string{"Harbour", "Garden", "Letters", "River", "Kingdom", "House", "Orchard", "Shore", "Atlas", "Lantern", "Island", "Season", "Orchestra", "Lighthouse", "Meridian", "Cartographer"}

type colour struct {
	name string
	rgb  color.RGBA
}

var colours = []colour{
	{"Black", color.RGBA{34, 34, 38, 255}}, {"White", color.RGBA{240, 238, 232, 255}},
	{"Navy", color.RGBA{31, 45, 84, 255}}, {"Grey", color.RGBA{128, 130, 134, 255}},
	{"Red", color.RGBA{190, 42, 48, 255}}, {"Forest Green", color.RGBA{38, 92, 60, 255}},
	{"Olive", color.RGBA{110, 112, 58, 255}}, {"Sand", color.RGBA{214, 190, 150, 255}},
	{"Blue", color.RGBA{52, 104, 190, 255}}, {"Burgundy", color.RGBA{118, 30, 48, 255}},
	{"Mustard", color.RGBA{214, 164, 42, 255}}, {"Pink", color.RGBA{232, 150, 170, 255}},
	{"Teal", color.RGBA{30, 128, 128, 255}}, {"Brown", color.RGBA{112, 74, 48, 255}},
	{"Cream", color.RGBA{244, 232, 204, 255}}, {"Lavender", color.RGBA{170, 150, 210, 255}},
	{"Charcoal", color.RGBA{64, 66, 72, 255}}, {"Sage", color.RGBA{150, 172, 140, 255}},
	{"Rust", color.RGBA{176, 84, 44, 255}}, {"Sky Blue", color.RGBA{130, 184, 226, 255}},
}

var openers = []string{
	"The {name} is {brand}'s take on the {noun}, made from {mat} for everyday use.",
	"Meet the {name}: {a-adj} {noun} in {mat}, designed to last.",
	"Our {noun} in {mat} combines {adj} looks with practical details.",
	"Made by {brand}, this {adj} {noun} is crafted from {mat} and finished with care.",
	"{a-adj} {noun} from {brand}, in {mat} and {colour}.",
}

// properWords keep their capitals inside a sentence.
var properWords = map[string]bool{
	"Nordic": true, "Scandinavian": true, "Mid-Century": true, "Vitamin C": true, "Arabica": true, "Darjeeling": true,
	"Sicilian": true, "Himalayan": true, "Italian": true, "Belgian": true, "Alpine": true, "Tuscan": true,
	"Fairtrade": true, "Aloe Vera": true, "HD": true, "Pro": true,
}

var closers = []string{
	"Free returns within 30 days.", "Ships within two working days.",
	"Part of our responsibly sourced range.", "Backed by our two-year guarantee.",
}

// features are the middle sentences of descriptions, by department.
var features = map[string][]string{
	"Clothing": {"Cut for a comfortable fit that layers easily.", "Reinforced seams and a soft hand feel mean it keeps its shape wash after wash.",
		"Machine washable at 30 °C.", "Pairs well with denim, chinos or tailored trousers.", "Breathable fabric keeps you cool in summer and cosy in winter."},
	"Shoes": {"A cushioned footbed and grippy rubber outsole keep you comfortable all day.", "Stitched, not just glued, for a longer life.",
		"True to size; choose the next size up for thick socks.", "Easy to clean with a damp cloth."},
	"Home": {"Dishwasher safe and suitable for every hob, including induction.", "Each piece is finished by hand, so no two are exactly alike.",
		"Generous proportions for family meals and entertaining.", "A timeless design that fits any interior."},
	"Furniture": {"Delivered flat-packed with tool-free assembly in under thirty minutes.", "Solid construction tested for years of daily use.",
		"Removable, washable covers.", "Delivered to the room of your choice."},
	"Electronics": {"Up to 30 hours of battery life and fast charging over USB-C.", "Pairs instantly with phones, tablets and laptops.",
		"Includes free software updates for five years.", "A premium build with a low-power standby mode."},
	"Beauty": {"Dermatologically tested and suitable for sensitive skin.", "Free from parabens and never tested on animals.",
		"Apply morning and evening for best results.", "Packaged in recycled, recyclable materials."},
	"Sports": {"Built for training in all weathers.", "Lightweight yet durable enough for daily sessions.",
		"Reflective details keep you visible after dark.", "Tested by athletes on road, track and trail."},
	"Toys": {"Suitable for ages three and up.", "Encourages imaginative play and fine motor skills.",
		"Made from sustainably sourced materials with child-safe paints.", "A perfect birthday or holiday gift."},
	"Books": {"A gripping read from the first page to the last.", "Beautifully illustrated throughout.",
		"Praised by critics and readers alike.", "Includes an introduction and notes for further reading."},
	"Garden": {"Weather-resistant for year-round outdoor use.", "Easy to care for, even for beginners.",
		"Delivered with care instructions in recyclable packaging.", "Ergonomic handles reduce strain during long sessions."},
	"Grocery": {"Sourced directly from small producers.", "Packed in a resealable bag to keep it fresh.",
		"Best enjoyed within four weeks of opening.", "Vegan and free from artificial additives."},
	"Pets": {"Vet-approved and made with natural ingredients.", "Machine washable and quick to dry.",
		"Tough enough for the most enthusiastic chewers.", "Suitable for all breeds and sizes."},
	"Jewellery & Watches": {"Hypoallergenic and nickel free.", "Presented in a gift box, ready to give.",
		"Water resistant to 50 metres.", "Hallmarked and made to last a lifetime."},
}
