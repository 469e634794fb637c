package seed

import (
	"fmt"
	"strings"
)

// taxonomy is the category tree the seed draws from, in a compact outline:
//
//	Department | variant kind | price range in EUR | picture shape
//	 @adj adjectives of product names   @mat materials or finishes
//	 Category {variant kind override}
//	  Subcategory {variant kind override}: product noun, product noun…
//
// It holds about 480 nodes; larger trees add merchandising collections
// (collections below) under each category.
const taxonomy = `
Clothing | apparel | 12-240 | garment
 @adj Classic, Relaxed, Slim-Fit, Everyday, Tailored, Oversized, Lightweight, Heritage, Essential, Soft-Touch, Cropped, Vintage
 @mat Cotton, Linen, Wool, Denim, Merino, Organic Cotton, Cashmere, Flannel, Jersey, Corduroy, Twill, Recycled
 Men
  Shirts: Oxford Shirt, Linen Shirt, Flannel Shirt, Poplin Shirt, Overshirt
  T-Shirts & Polos: T-Shirt, Polo Shirt, Henley, Long-Sleeve Tee
  Jeans: Straight Jeans, Slim Jeans, Tapered Jeans, Relaxed Jeans
  Trousers: Chinos, Trousers, Cargo Trousers, Joggers
  Jackets & Coats: Bomber Jacket, Parka, Overcoat, Field Jacket, Rain Jacket
  Knitwear: Jumper, Cardigan, Crewneck Sweater, Roll-Neck
  Suits & Blazers: Blazer, Suit Jacket, Waistcoat
  Underwear & Socks: Boxer Briefs, Socks, Undershirt
 Women
  Dresses: Midi Dress, Wrap Dress, Shirt Dress, Maxi Dress, Slip Dress
  Tops & Blouses: Blouse, Tank Top, T-Shirt, Bodysuit
  Skirts: Midi Skirt, Pleated Skirt, Denim Skirt, Mini Skirt
  Jeans: Mom Jeans, Wide-Leg Jeans, Skinny Jeans, Flared Jeans
  Trousers: Wide-Leg Trousers, Culottes, Leggings, Cigarette Trousers
  Jackets & Coats: Trench Coat, Puffer Jacket, Wool Coat, Denim Jacket
  Knitwear: Cardigan, Jumper, Knitted Vest, Turtleneck
  Nightwear: Pyjama Set, Robe, Nightdress
 Kids
  Baby: Bodysuit, Romper, Sleepsuit, Baby Hat
  Girls: Dress, Leggings, Hoodie, T-Shirt
  Boys: T-Shirt, Shorts, Hoodie, Jeans
  School Uniform: Polo Shirt, School Trousers, School Cardigan
 Accessories {colour}
  Bags: Tote Bag, Backpack, Crossbody Bag, Weekender
  Belts: Leather Belt, Braided Belt, Canvas Belt
  Hats & Caps: Baseball Cap, Beanie, Bucket Hat, Fedora
  Scarves & Gloves: Scarf, Gloves, Snood
  Wallets: Wallet, Card Holder, Coin Purse
Shoes | shoes | 25-220 | shoe
 @adj Classic, Lightweight, Cushioned, Everyday, Waterproof, Retro, Minimal, Chunky, Padded
 @mat Leather, Suede, Canvas, Mesh, Nubuck, Knit, Vegan Leather
 Men's Shoes
  Sneakers: Low-Top Sneaker, High-Top Sneaker, Court Sneaker
  Boots: Chelsea Boot, Hiking Boot, Work Boot, Desert Boot
  Formal Shoes: Derby Shoe, Oxford Shoe, Brogue, Loafer
  Sandals & Slides: Sandal, Slide, Flip-Flop
 Women's Shoes
  Sneakers: Platform Sneaker, Slip-On Sneaker, Court Sneaker
  Boots: Ankle Boot, Knee-High Boot, Chelsea Boot
  Heels & Flats: Ballet Flat, Pump, Block Heel, Mule
  Sandals: Strappy Sandal, Espadrille, Slide
 Kids' Shoes
  School Shoes: School Shoe, T-Bar Shoe
  Trainers: Velcro Trainer, Light-Up Trainer
  Wellies: Welly, Rain Boot
 Sports Shoes
  Running Shoes: Road Running Shoe, Trail Running Shoe, Racing Flat
  Training Shoes: Gym Shoe, Cross Trainer
  Football Boots: Firm Ground Boot, Turf Boot, Indoor Shoe
Home | colour | 6-260 | vase
 @adj Nordic, Rustic, Modern, Handmade, Classic, Stoneware, Minimal, Artisan, Speckled, Glazed
 @mat Ceramic, Oak, Glass, Stainless Steel, Cast Iron, Cotton, Linen, Bamboo, Porcelain, Enamel
 Kitchen
  Cookware: Frying Pan, Saucepan, Casserole Dish, Wok, Stockpot, Griddle Pan
  Knives: Chef's Knife, Bread Knife, Paring Knife, Knife Block
  Bakeware: Cake Tin, Baking Tray, Loaf Tin, Muffin Tray
  Kitchen Utensils: Spatula, Whisk, Ladle, Tongs, Chopping Board
  Small Appliances: Kettle, Toaster, Blender, Coffee Grinder, Hand Mixer
 Dining
  Dinnerware: Dinner Plate, Side Plate, Pasta Bowl, Serving Platter
  Glassware: Tumbler, Wine Glass, Carafe, Highball Glass
  Cutlery: Cutlery Set, Steak Knives, Dessert Spoons
  Table Linen: Tablecloth, Napkins, Table Runner, Placemats
  Mugs & Cups: Mug, Espresso Cup, Teapot
 Bedding {size}
  Duvet Covers: Duvet Cover, Duvet Set
  Sheets: Fitted Sheet, Flat Sheet, Pillowcase Pair
  Pillows & Duvets: Pillow, Duvet, Mattress Topper
  Throws & Blankets: Throw, Blanket, Bedspread
 Bath
  Towels: Bath Towel, Hand Towel, Bath Sheet, Towel Set
  Bath Mats: Bath Mat, Pedestal Mat
  Bathroom Accessories: Soap Dispenser, Toothbrush Holder, Shower Caddy
 Decor
  Vases: Vase, Bud Vase, Floor Vase
  Candles: Scented Candle, Pillar Candle, Candle Holder
  Frames & Mirrors: Photo Frame, Wall Mirror, Round Mirror
  Cushions: Cushion, Cushion Cover, Floor Cushion
  Clocks: Wall Clock, Alarm Clock
 Lighting
  Table Lamps: Table Lamp, Desk Lamp, Bedside Lamp
  Floor Lamps: Floor Lamp, Arc Lamp, Tripod Lamp
  Ceiling Lights: Pendant Light, Lampshade, Chandelier
 Storage
  Baskets & Boxes: Storage Basket, Storage Box, Laundry Basket
  Shelving: Wall Shelf, Shelving Unit, Floating Shelf
Furniture | colour | 39-1500 | chair
 @adj Nordic, Mid-Century, Industrial, Classic, Compact, Modular, Scandinavian, Rustic, Upholstered
 @mat Oak, Walnut, Pine, Velvet, Linen, Rattan, Steel, Beech, Bouclé, Leather
 Living Room
  Sofas: Three-Seater Sofa, Two-Seater Sofa, Corner Sofa, Sofa Bed
  Armchairs: Armchair, Lounge Chair, Accent Chair, Footstool
  Coffee Tables: Coffee Table, Side Table, Nest of Tables
  TV & Media Units: TV Unit, Media Console, Sideboard
 Bedroom
  Beds: Double Bed, King Size Bed, Single Bed, Bed Frame
  Wardrobes: Wardrobe, Clothes Rail, Chest of Drawers
  Bedside Tables: Bedside Table, Nightstand
 Home Office
  Desks: Writing Desk, Standing Desk, Corner Desk
  Office Chairs: Office Chair, Task Chair, Ergonomic Chair
  Bookcases: Bookcase, Ladder Shelf, Cube Shelf
 Dining Room
  Dining Tables: Dining Table, Extending Table, Round Table
  Dining Chairs: Dining Chair, Bench, Bar Stool
 Outdoor Furniture
  Garden Sets: Garden Dining Set, Bistro Set, Lounge Set
  Loungers & Hammocks: Sun Lounger, Hammock, Deck Chair
  Parasols: Parasol, Cantilever Parasol
Electronics | colour | 9-1500 | device
 @adj Wireless, Compact, Portable, Smart, Noise-Cancelling, Ultra-Slim, Pro, Studio, HD, Rugged
 @mat Graphite, Silver, Matte Black, Aluminium, Carbon, Titanium, Midnight, Pearl
 Audio
  Headphones: Over-Ear Headphones, On-Ear Headphones, Studio Headphones
  Earbuds: True Wireless Earbuds, Sport Earbuds, Wired Earphones
  Speakers: Bluetooth Speaker, Bookshelf Speaker, Party Speaker
  Soundbars: Soundbar, Subwoofer
  Turntables: Turntable, Phono Preamp
 Computers
  Laptops {storage}: Laptop, Ultrabook, Gaming Laptop, 2-in-1 Laptop
  Monitors: Monitor, Curved Monitor, Portable Monitor
  Keyboards & Mice: Mechanical Keyboard, Wireless Mouse, Keyboard and Mouse Set
  Accessories: USB-C Hub, Laptop Stand, Webcam, Docking Station
 Phones & Tablets {storage}
  Smartphones: Smartphone, Foldable Phone
  Tablets: Tablet, E-Reader, Drawing Tablet
  Phone Accessories: Phone Case, Wireless Charger, Power Bank, Screen Protector
 TV & Video
  Televisions: 4K Television, OLED Television, Smart TV
  Projectors: Projector, Mini Projector, Projector Screen
  Streaming Devices: Streaming Stick, Media Player
 Cameras
  Digital Cameras: Mirrorless Camera, Compact Camera, Action Camera
  Lenses: Prime Lens, Zoom Lens, Macro Lens
  Camera Accessories: Tripod, Camera Bag, Memory Card
 Smart Home
  Smart Speakers: Smart Speaker, Smart Display
  Security: Video Doorbell, Security Camera, Smart Lock
  Climate: Smart Thermostat, Air Purifier, Desk Fan
 Wearables
  Smartwatches: Smartwatch, Sports Watch
  Fitness Trackers: Fitness Tracker, Heart Rate Monitor
Beauty | volume | 4-140 | bottle
 @adj Hydrating, Nourishing, Brightening, Gentle, Restoring, Clarifying, Daily, Intensive, Soothing
 @mat Rose, Aloe Vera, Vitamin C, Hyaluronic, Shea, Argan, Green Tea, Charcoal, Lavender
 Skincare
  Moisturisers: Day Cream, Night Cream, Face Gel, Eye Cream
  Serums: Face Serum, Facial Oil, Retinol Serum
  Cleansers: Cleansing Balm, Foaming Cleanser, Micellar Water, Toner
  Sun Care: Sunscreen, After-Sun Lotion, Tinted Sunscreen
 Makeup {colour}
  Lips: Lipstick, Lip Gloss, Lip Liner, Lip Balm
  Face: Foundation, Concealer, Blush, Bronzer
  Eyes: Mascara, Eyeliner, Eyeshadow Palette, Brow Pencil
 Hair Care
  Shampoo & Conditioner: Shampoo, Conditioner, Dry Shampoo
  Treatments: Hair Mask, Hair Oil, Leave-In Conditioner
  Styling: Hair Spray, Styling Cream, Texturising Spray
 Fragrance
  For Her: Eau de Parfum, Eau de Toilette, Body Mist
  For Him: Eau de Toilette, Aftershave, Cologne
 Bath & Body
  Body Care: Body Lotion, Body Butter, Body Scrub
  Bath & Shower: Shower Gel, Bath Oil, Bath Salts
  Hand Care: Hand Cream, Hand Wash
Sports | size | 6-900 | ball
 @adj Pro, Training, Lightweight, Performance, Endurance, Trail, Compact, Breathable, Reflective
 @mat Carbon, Neoprene, Mesh, Ripstop, Aluminium, Rubber, Softshell, Merino
 Fitness
  Yoga & Pilates: Yoga Mat, Yoga Block, Pilates Ring, Yoga Strap
  Weights: Dumbbell Set, Kettlebell, Weight Plate, Barbell
  Cardio: Exercise Bike, Rowing Machine, Skipping Rope
 Running {apparel}
  Running Clothing: Running Jacket, Running Tights, Running Vest, Running Shorts
  Running Accessories: Hydration Vest, Running Belt, Headlamp
 Cycling
  Bikes: Road Bike, Gravel Bike, Hybrid Bike, Kids' Bike
  Cycling Gear: Cycling Helmet, Cycling Jersey, Cycling Gloves
  Bike Accessories: Bike Light Set, Bike Lock, Saddle Bag, Bike Pump
 Outdoor & Camping
  Tents: Two-Person Tent, Family Tent, Pop-Up Tent
  Sleeping: Sleeping Bag, Sleeping Mat, Camping Pillow
  Camping Kitchen: Camping Stove, Cook Set, Insulated Bottle
  Hiking: Hiking Backpack, Trekking Poles, Gaiters
 Team Sports
  Football: Football, Goalkeeper Gloves, Shin Guards
  Basketball: Basketball, Basketball Hoop
 Racket Sports
  Tennis: Tennis Racket, Tennis Balls, Racket Bag
  Padel & Badminton: Padel Racket, Badminton Set, Shuttlecocks
Toys | single | 5-180 | bear
 @adj Wooden, Classic, Deluxe, Mini, Magnetic, Musical, Rainbow, Interactive, Giant
 @mat Wooden, Plush, Bamboo, Recycled, Felt, Cotton
 Building & Construction
  Building Sets: Building Set, Brick Box, Marble Run
  Construction Toys: Construction Kit, Magnetic Tiles
 Dolls & Figures
  Dolls: Rag Doll, Fashion Doll, Dolls' House
  Action Figures: Action Figure, Dinosaur Figure, Farm Animal Set
 Games & Puzzles
  Board Games: Board Game, Strategy Game, Family Game
  Puzzles: Jigsaw Puzzle, 3D Puzzle, Floor Puzzle
  Card Games: Card Game, Memory Game
 Baby & Toddler
  Soft Toys: Teddy Bear, Plush Rabbit, Comforter
  Activity Toys: Stacking Rings, Shape Sorter, Activity Cube, Play Gym
 Outdoor Play
  Ride-Ons: Balance Bike, Scooter, Ride-On Car
  Garden Games: Swing Seat, Water Table, Sandpit Toys
 Arts & Crafts
  Drawing & Painting: Crayon Set, Paint Set, Easel
  Craft Kits: Craft Kit, Bead Set, Modelling Clay
Books | format | 6-60 | book
 @adj Illustrated, Collected, Complete, Essential, Pocket, Definitive, Little, Modern, Annotated
 @mat Guide, Handbook, Companion, Atlas, Stories, Notes
 Fiction
  Crime & Thriller: Crime Novel, Psychological Thriller, Detective Novel
  Fantasy: Fantasy Novel, Epic Fantasy, Fairy Tales
  Science Fiction: Science Fiction Novel, Space Opera
  Literary Fiction: Novel, Short Stories, Novella
  Romance: Romance Novel, Historical Romance
 Non-Fiction
  Biography: Biography, Memoir, Letters
  History: History Book, World History, Military History
  Science & Nature: Popular Science, Nature Guide, Field Guide
  Travel: Travel Guide, City Guide, Road Atlas
 Children's Books
  Picture Books: Picture Book, Board Book, Bedtime Stories
  Early Readers: First Reader, Activity Book
  Young Adult: Young Adult Novel, Graphic Novel
 Cookbooks
  Baking: Baking Book, Bread Book
  Everyday Cooking: Cookbook, Vegetarian Cookbook, One-Pot Cookbook
 Stationery {colour}
  Notebooks: Notebook, Dotted Journal, Sketchbook
  Pens & Pencils: Fountain Pen, Gel Pen Set, Pencil Set
  Planners: Weekly Planner, Wall Calendar, Desk Planner
Garden | size | 4-700 | plant
 @adj Evergreen, Hardy, Flowering, Compact, Heavy-Duty, Weatherproof, Cordless, Ergonomic, Solar
 @mat Terracotta, Galvanised, Stainless Steel, Ash, Rattan, Zinc, Cedar, Stoneware
 Plants
  Houseplants: Monstera, Fiddle Leaf Fig, Snake Plant, Peace Lily, Pothos
  Outdoor Plants: Lavender Plant, Rose Bush, Olive Tree, Hydrangea
  Seeds & Bulbs: Seed Collection, Tulip Bulbs, Herb Seeds
 Garden Tools
  Hand Tools: Trowel, Hand Fork, Pruning Shears, Weeder
  Power Tools: Lawn Mower, Hedge Trimmer, Leaf Blower, Grass Trimmer
  Watering: Garden Hose, Watering Can, Sprinkler, Hose Reel
 Pots & Planters
  Indoor Pots: Plant Pot, Hanging Planter, Self-Watering Pot
  Outdoor Planters: Raised Bed, Window Box, Trough Planter
 Outdoor Living
  Barbecues: Charcoal Barbecue, Gas Barbecue, Kamado Grill
  Outdoor Lighting: Solar Lantern, Festoon Lights, Wall Light
  Outdoor Heating: Fire Pit, Patio Heater, Chiminea
Grocery | weight | 2-45 | jar
 @adj Organic, Single-Origin, Artisan, Fairtrade, Roasted, Smoked, Wild, Hand-Picked, Stone-Ground
 @mat Arabica, Darjeeling, Sicilian, Himalayan, Italian, Belgian, Alpine, Tuscan
 Coffee & Tea
  Coffee: Coffee Beans, Ground Coffee, Espresso Blend, Coffee Capsules
  Tea: Loose Leaf Tea, Green Tea, Herbal Tea, Chai
 Pantry
  Pasta & Rice: Spaghetti, Penne, Risotto Rice, Basmati Rice
  Oils & Vinegars: Olive Oil, Balsamic Vinegar, Rapeseed Oil
  Herbs & Spices: Spice Blend, Sea Salt, Black Pepper, Saffron
  Sauces & Preserves: Pasta Sauce, Honey, Jam, Chutney
 Snacks
  Chocolate: Dark Chocolate, Milk Chocolate, Truffles
  Nuts & Dried Fruit: Almonds, Cashews, Trail Mix, Dried Mango
  Biscuits & Crackers: Shortbread, Oat Biscuits, Crackers
 Drinks
  Juices: Apple Juice, Orange Juice, Cold-Pressed Juice
  Soft Drinks: Sparkling Water, Lemonade, Ginger Beer
Pets | size | 3-250 | paw
 @adj Cosy, Durable, Orthopaedic, Grain-Free, Interactive, Reflective, Washable, Natural, Chewable
 @mat Chicken, Salmon, Lamb, Rope, Fleece, Rubber, Nylon, Sisal
 Dogs
  Dog Food: Dry Dog Food, Wet Dog Food, Dog Treats
  Dog Beds: Dog Bed, Dog Crate Mat, Dog Blanket
  Collars & Leads: Dog Collar, Dog Lead, Dog Harness
  Dog Toys: Chew Toy, Tug Rope, Fetch Ball
 Cats
  Cat Food: Dry Cat Food, Wet Cat Food, Cat Treats
  Cat Furniture: Scratching Post, Cat Tree, Cat Bed
  Cat Toys: Feather Wand, Catnip Mouse, Laser Toy
 Small Animals & Birds
  Small Animal Supplies: Hutch, Hay, Small Animal Bedding
  Bird Care: Bird Feeder, Bird Seed, Bird Bath
 Aquarium
  Tanks & Filters: Aquarium Tank, Aquarium Filter, Air Pump
  Fish Food & Care: Fish Flakes, Water Conditioner, Aquarium Plants
Jewellery & Watches | single | 15-900 | ring
 @adj Classic, Delicate, Minimal, Vintage, Statement, Twisted, Hammered, Signature, Everyday
 @mat Sterling Silver, Gold-Plated, Rose Gold, Pearl, Stainless Steel, Titanium, Sapphire, Diamond
 Watches {colour}
  Men's Watches: Chronograph Watch, Dress Watch, Dive Watch, Field Watch
  Women's Watches: Dress Watch, Bracelet Watch, Mesh Watch
  Watch Straps: Leather Watch Strap, Steel Bracelet, Nylon Strap
 Jewellery
  Necklaces: Pendant Necklace, Chain Necklace, Choker, Locket
  Rings: Stacking Ring, Signet Ring, Band Ring, Cocktail Ring
  Earrings: Hoop Earrings, Stud Earrings, Drop Earrings
  Bracelets: Bangle, Chain Bracelet, Cuff Bracelet, Charm Bracelet
`

// collections are merchandising subcategories added under each category
// when the requested tree is larger than the taxonomy.
var collections = []string{
	"New In", "Bestsellers", "Sale", "Gift Ideas", "Eco Collection", "Premium Range",
	"Essentials", "Limited Edition", "Online Exclusives", "Bundles", "Last Chance", "Trending Now",
}

// variantKind says how a product's variants differ.
type variantKind string

const (
	kindApparel variantKind = "apparel" // sizes XS–XXL, sometimes colours
	kindShoes   variantKind = "shoes"   // EU sizes
	kindColour  variantKind = "colour"
	kindSize    variantKind = "size"    // small, medium, large
	kindVolume  variantKind = "volume"  // ml
	kindStorage variantKind = "storage" // GB
	kindWeight  variantKind = "weight"  // g, kg
	kindFormat  variantKind = "format"  // paperback, hardback
	kindSingle  variantKind = "single"  // one variant
)

type department struct {
	name               string
	kind               variantKind
	minEUR, maxEUR     int
	shape              string
	adjectives, matter []string
	groups             []*group
}

type group struct {
	name   string
	kind   variantKind
	leaves []*leaf
}

type leaf struct {
	name  string
	kind  variantKind
	nouns []string
}

// departments parses the taxonomy; it panics on a malformed outline, which
// the package's tests catch.
func departments() []*department {
	var out []*department
	for _, line := range strings.Split(taxonomy, "\n") {
		text := strings.TrimSpace(line)
		if text == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0:
			var d department
			f := strings.Split(text, "|")
			if len(f) != 4 {
				panic("seed: taxonomy department: " + text)
			}
			d.name, d.kind, d.shape = strings.TrimSpace(f[0]), variantKind(strings.TrimSpace(f[1])), strings.TrimSpace(f[3])
			if _, err := fmt.Sscanf(strings.TrimSpace(f[2]), "%d-%d", &d.minEUR, &d.maxEUR); err != nil {
				panic("seed: taxonomy price range: " + text)
			}
			out = append(out, &d)
		case strings.HasPrefix(text, "@adj "):
			out[len(out)-1].adjectives = splitList(text[5:])
		case strings.HasPrefix(text, "@mat "):
			out[len(out)-1].matter = splitList(text[5:])
		case indent == 1:
			d := out[len(out)-1]
			name, kind := nameKind(text, d.kind)
			d.groups = append(d.groups, &group{name: name, kind: kind})
		default:
			d := out[len(out)-1]
			g := d.groups[len(d.groups)-1]
			name, nouns, ok := strings.Cut(text, ":")
			if !ok {
				panic("seed: taxonomy leaf without nouns: " + text)
			}
			name, kind := nameKind(name, g.kind)
			g.leaves = append(g.leaves, &leaf{name: name, kind: kind, nouns: splitList(nouns)})
		}
	}
	return out
}

// nameKind splits "Name {kind}" into its parts; def when there is no kind.
func nameKind(s string, def variantKind) (string, variantKind) {
	if i := strings.IndexByte(s, '{'); i >= 0 {
		return strings.TrimSpace(s[:i]), variantKind(strings.Trim(strings.TrimSpace(s[i:]), "{}"))
	}
	return strings.TrimSpace(s), def
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
