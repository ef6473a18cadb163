"""The phrase rules hear a crisis in the person's own language (bot/data/safety_rules.yml, the
other-language sections): the English-trained detector hears nothing there, so these phrases are
all that stands between someone in danger and an ordinary reply. Each language has crisis messages,
written for this test as people type in a chat (no accents, typos, a relationship around them), and
calm ones that must stay calm: idioms ("dying of jealousy", "my mum will kill me"), jealousy,
phones, break-ups."""

from __future__ import annotations

import pytest

from bot import safety

CRISES = {
    "spanish": [
        ("self_harm", "desde que me dejo ya no kiero vivir, enserio"),
        ("self_harm", "mi novio se fue con otra y quiero acabar con todo"),
        ("self_harm", "me corte los brazos otra vez anoche porq me engano"),
        ("self_harm", "estoy juntando pastillas desde hace un mes"),
        ("self_harm", "pienso en tirarme de un puente, el ni me contesta"),
        ("abuse", "mi esposo me pego anoche y me dio una cachetada delante d los ninos"),
        ("abuse", "me agarro del cuello y me empujo contra la pared"),
        ("abuse", "amenaza con matarme si lo dejo"),
        ("abuse", "me quito el pasaporte y no me deja salir de la casa"),
        ("abuse", "mi ex amenaza con publicar mis fotos intimas"),
    ],
    "portuguese": [
        ("self_harm", "nao aguento mais viver assim, ele me traiu"),
        ("self_harm", "tomei todos os remedios da minha mae"),
        ("self_harm", "me cortei de novo ontem a noite"),
        ("self_harm", "penso em me jogar da ponte"),
        ("abuse", "meu marido me bateu de novo e me enforcou"),
        ("abuse", "ele ameacou me matar se eu for embora"),
        ("abuse", "ele me trancou em casa e pegou meu passaporte"),
        ("abuse", "meu ex ameaca vazar minhas fotos intimas"),
    ],
    "french": [
        ("self_harm", "je veux mourir depuis qu'il m'a quittee"),
        ("self_harm", "j'ai envie d'en finir, il me trompe"),
        ("self_harm", "jai pris toute la boite de cachets"),
        ("self_harm", "je me suis coupee les bras hier soir"),
        ("abuse", "il m'a frappee hier soir parce que j'ai parle a un collegue"),
        ("abuse", "il ma giflee devant sa mere"),
        ("abuse", "il menace de me tuer si je le quitte"),
        ("abuse", "il m'a pousse dans les escaliers"),
    ],
    "german": [
        ("self_harm", "ich will einfach nur sterben seit er weg ist"),
        ("self_harm", "hab mich wieder geritzt, er hat schluss gemacht"),
        ("self_harm", "ich hab alle tabletten genommen"),
        ("self_harm", "ich will von der brucke springen"),
        ("abuse", "er schlägt mich wenn er getrunken hat"),
        ("abuse", "mein freund hat mich gewürgt und gegen die wand gestoßen"),
        ("abuse", "er droht mich umzubringen wenn ich gehe"),
        ("abuse", "er sperrt mich in der wohnung ein"),
    ],
    "italian": [
        ("self_harm", "voglio farla finita, lui mi ha lasciata"),
        ("self_harm", "non ho piu voglia di vivere"),
        ("self_harm", "ho preso tutte le pillole di mia madre"),
        ("self_harm", "voglio buttarmi dal ponte"),
        ("abuse", "mi ha picchiata di nuovo ieri sera"),
        ("abuse", "mi ha spinta giu per le scale"),
        ("abuse", "ha detto che mi ammazza se lo lascio"),
        ("abuse", "mi ha costretta a fare sesso"),
    ],
    "dutch": [
        ("self_harm", "ik wil dood sinds hij weg is"),
        ("self_harm", "ik wil er een eind aan maken"),
        ("self_harm", "ik heb mezelf gesneden na de ruzie"),
        ("self_harm", "ik wil van de brug springen"),
        ("abuse", "hij slaat me als hij dronken is"),
        ("abuse", "mijn vriend heeft me gewurgd"),
        ("abuse", "hij dreigt me te vermoorden"),
        ("abuse", "hij heeft mijn paspoort afgepakt"),
    ],
    "polish": [
        ("self_harm", "chce umrzec odkad mnie zostawil"),
        ("self_harm", "znowu sie pocielam"),
        ("self_harm", "wzielam wszystkie tabletki"),
        ("self_harm", "chcę skoczyć z mostu"),
        ("abuse", "on mnie bije jak wypije"),
        ("abuse", "mąż mnie dusił wczoraj"),
        ("abuse", "grozi ze mnie zabije"),
        ("abuse", "zmusza mnie do seksu"),
    ],
    "turkish": [
        ("self_harm", "ölmek istiyorum, beni aldatti"),
        ("self_harm", "artik yasamak istemiyorum"),
        ("self_harm", "bileklerimi kestim"),
        ("self_harm", "butun ilaclari ictim"),
        ("abuse", "kocam beni dövüyor"),
        ("abuse", "bana tokat atti"),
        ("abuse", "beni öldürmekle tehdit ediyor"),
        ("abuse", "beni eve kilitledi"),
    ],
    "indonesian_malay": [
        ("self_harm", "aku pengen mati aja, dia selingkuh"),
        ("self_harm", "aku udah minum semua obat tidur"),
        ("self_harm", "aku nyayat tangan lagi"),
        ("self_harm", "gak mau hidup lagi"),
        ("abuse", "pacarku mukul aku kemarin"),
        ("abuse", "aku ditampar suamiku"),
        ("abuse", "dia ngancam bunuh aku kalau aku pergi"),
        ("abuse", "dia maksa aku berhubungan"),
    ],
    "tagalog": [
        ("self_harm", "gusto ko nang mamatay, niloko niya ako"),
        ("self_harm", "ayoko na mabuhay"),
        ("self_harm", "naglaslas ako kagabi"),
        ("self_harm", "tatalon ako sa tulay"),
        ("abuse", "sinasaktan niya ako tuwing lasing"),
        ("abuse", "sinampal niya ako"),
        ("abuse", "papatayin daw niya ako"),
        ("abuse", "kinuha niya ang passport ko"),
    ],
    "hindi_urdu": [
        ("self_harm", "mujhe marne ka mann karta hai"),
        ("self_harm", "main khudkushi kar lungi"),
        ("self_harm", "maine saari goliyan kha li"),
        ("self_harm", "maine apna hath kaat liya"),
        ("abuse", "mera pati mujhe roz maarta hai"),
        ("abuse", "usne mujhe thappad maara"),
        ("abuse", "usne mera gala dabaya"),
        ("abuse", "wo jaan se maarne ki dhamki deta hai"),
    ],
    "arabic_latin": [
        ("self_harm", "ana 3ayza amoot"),
        ("self_harm", "baddi mout, ma baddi 3ish"),
        ("self_harm", "5adt kol el 7obob"),
        ("self_harm", "ha2tel nafsi"),
        ("abuse", "howa byedrabni kol yom"),
        ("abuse", "5ana2ni embare7"),
        ("abuse", "bihadedni ye2telni"),
        ("abuse", "2afal 3alaya el bab"),
    ],
    "russian": [
        ("self_harm", "хочу умереть, он ушел к другой"),
        ("self_harm", "не хочу больше жить"),
        ("self_harm", "я выпила все таблетки"),
        ("self_harm", "hochu umeret"),
        ("abuse", "муж меня бьёт"),
        ("abuse", "он угрожает убить меня"),
        ("abuse", "он запер меня в квартире"),
        ("abuse", "on menya bet"),
    ],
    "romanian": [
        ("self_harm", "vreau sa mor, m-a inselat"),
        ("self_harm", "nu mai vreau să trăiesc"),
        ("self_harm", "am luat toate pastilele"),
        ("self_harm", "vreau sa sar de pe pod"),
        ("abuse", "sotul meu ma bate"),
        ("abuse", "m-a lovit cu pumnul"),
        ("abuse", "ameninta ca ma omoara"),
        ("abuse", "mi-a luat pasaportul"),
    ],
    "swahili": [
        ("self_harm", "nataka kufa tangu aniache"),
        ("self_harm", "sitaki kuishi tena, nimechoka"),
        ("self_harm", "nimekunywa vidonge vyote vya usingizi"),
        ("self_harm", "nimejikata mikono tena jana usiku"),
        ("self_harm", "kwaheri ya milele, sitakuwepo duniani wiki ijayo"),
        ("self_harm", "nitajirusha kutoka darajani"),
        ("abuse", "mume wangu ananipiga kila siku"),
        ("abuse", "alinikaba koo jana usiku"),
        ("abuse", "anatishia kuniua mimi na watoto"),
        ("abuse", "naogopa ataniua nikimwacha"),
        ("abuse", "ananilazimisha kufanya mapenzi"),
        ("abuse", "ananifungia ndani ya nyumba"),
    ],
    "vietnamese": [
        ("self_harm", "tôi muốn chết, anh ấy bỏ tôi rồi"),
        ("self_harm", "em ko muon song nua"),
        ("self_harm", "tôi đã nghĩ đến tự tử"),
        ("self_harm", "tối qua em lại rạch tay"),
        ("self_harm", "em đã uống hết cả vỉ thuốc ngủ"),
        ("self_harm", "vĩnh biệt mọi người"),
        ("abuse", "chồng tôi đánh tôi mỗi khi say"),
        ("abuse", "anh ta bóp cổ em"),
        ("abuse", "hắn dọa giết tôi và các con"),
        ("abuse", "em sợ anh ta sẽ giết em"),
        ("abuse", "anh ấy ép em quan hệ"),
        ("abuse", "anh ta nhốt em trong nhà"),
    ],
    "greek": [
        ("self_harm", "θέλω να πεθάνω από τότε που με άφησε"),
        ("self_harm", "thelw na pethanw"),
        ("self_harm", "δεν θέλω να ζω άλλο"),
        ("self_harm", "σκέφτομαι την αυτοκτονία"),
        ("self_harm", "έκοψα τις φλέβες μου χθες"),
        ("self_harm", "ipia ola ta xapia"),
        ("abuse", "ο άντρας μου με χτυπάει όταν πίνει"),
        ("abuse", "me edeire xtes to vrady"),
        ("abuse", "με έπιασε από τον λαιμό"),
        ("abuse", "απειλεί ότι θα με σκοτώσει"),
        ("abuse", "με αναγκάζει να κάνω σεξ"),
        ("abuse", "με κλειδώνει μέσα στο σπίτι"),
    ],
    "ukrainian": [
        ("self_harm", "я хочу померти, він пішов до іншої"),
        ("self_harm", "більше не хочу жити"),
        ("self_harm", "я знову порізала руки"),
        ("self_harm", "я випила всі таблетки"),
        ("self_harm", "прощавайте всі, мене більше не буде"),
        ("self_harm", "hochu pomerty"),
        ("abuse", "чоловік мене б'є"),
        ("abuse", "він погрожує вбити мене і дітей"),
        ("abuse", "боюся, що він мене вб'є"),
        ("abuse", "він змушує мене до сексу"),
        ("abuse", "він замикає мене вдома"),
    ],
    "czech_slovak": [
        ("self_harm", "chci umřít, odešel k jiné"),
        ("self_harm", "uz nechci zit"),
        ("self_harm", "zase jsem se řezala"),
        ("self_harm", "spolkla jsem všechny prášky"),
        ("self_harm", "chcem zomrieť"),
        ("self_harm", "zabijem sa"),
        ("abuse", "manžel mě mlátí"),
        ("abuse", "včera mě škrtil manžel"),
        ("abuse", "vyhrožuje, že mě zabije"),
        ("abuse", "bojím se, že ma zabije"),
        ("abuse", "nutí mě k sexu"),
        ("abuse", "zamyká mě doma"),
    ],
    "swedish": [
        ("self_harm", "jag vill dö, han lämnade mig"),
        ("self_harm", "jag vill inte leva längre"),
        ("self_harm", "jag ska ta livet av mig"),
        ("self_harm", "jag skär mig i armarna igen"),
        ("self_harm", "jag tog alla tabletter"),
        ("self_harm", "jag ska hoppa från bron"),
        ("abuse", "min man slår mig"),
        ("abuse", "han tog strypgrepp på mig"),
        ("abuse", "han hotar att döda mig och barnen"),
        ("abuse", "jag är rädd att han dödar mig"),
        ("abuse", "han tvingar mig att ha sex"),
        ("abuse", "han låser in mig i lägenheten"),
    ],
    "norwegian_danish": [
        ("self_harm", "jeg vil dø, han har gått fra meg"),
        ("self_harm", "jeg vil ikke leve mere"),
        ("self_harm", "jeg har lyst til at dø"),
        ("self_harm", "jeg tenker på selvmord hele tiden"),
        ("self_harm", "jeg kutter meg i armene igjen"),
        ("self_harm", "jeg har taget alle pillerne"),
        ("abuse", "min mand slår mig"),
        ("abuse", "han kvalte meg i går"),
        ("abuse", "han truer med å drepe meg og barna"),
        ("abuse", "jeg er bange for at han slår mig ihjel"),
        ("abuse", "han tvinger meg til sex"),
        ("abuse", "han låser meg inne i leiligheten"),
    ],
    "hungarian": [
        ("self_harm", "meg akarok halni, elhagyott"),
        ("self_harm", "nem akarok tovább élni"),
        ("self_harm", "öngyilkos leszek"),
        ("self_harm", "megint vagdosom magam"),
        ("self_harm", "bevettem az összes gyógyszert"),
        ("self_harm", "leugrok a hídról"),
        ("abuse", "a férjem megver"),
        ("abuse", "megint megütött a férjem"),
        ("abuse", "fojtogatott tegnap este"),
        ("abuse", "azzal fenyeget, hogy megöl"),
        ("abuse", "félek, hogy megöl"),
        ("abuse", "bezár a lakásba"),
    ],
    "persian_latin": [
        ("self_harm", "mikham bemiram, velam kard"),
        ("self_harm", "dige nemikham zende bemoonam"),
        ("self_harm", "be khodkoshi fekr mikonam"),
        ("self_harm", "dastamo ba tigh boridam"),
        ("self_harm", "hame ghorsa ro khordam"),
        ("self_harm", "khodahafez baraye hamishe"),
        ("abuse", "shoharam mano mizane"),
        ("abuse", "behem sili zad"),
        ("abuse", "gardanamo feshar dad"),
        ("abuse", "tahdid mikone mano mikoshe"),
        ("abuse", "majburam mikone sex konim"),
        ("abuse", "mano too khoone zendani mikone"),
    ],
    "bengali_latin": [
        ("self_harm", "ami morte chai, o amake chere geche"),
        ("self_harm", "ar bachte ichhe kore na"),
        ("self_harm", "ami atmohotta korbo"),
        ("self_harm", "blade diye haat ketechi"),
        ("self_harm", "sob ghumer oshudh kheye felechi"),
        ("self_harm", "chhad theke laf dibo"),
        ("abuse", "amar swami amake mare"),
        ("abuse", "o amar gaye haat tole"),
        ("abuse", "gala tipe dhoreche"),
        ("abuse", "amake mere felar humki dey"),
        ("abuse", "jor kore sex kore"),
        ("abuse", "amake ghore atke rakhe"),
    ],
}

CALM = {
    "spanish": [
        "me muero de celos cuando habla con su ex",
        "mi novio me corto por whatsapp, que hago?",
        "voy a terminar con el, ya no aguanto sus mentiras",
        "es normal revisarle el celular a tu pareja?",
        "mi mama me va a matar si se entera que sali con el",
        "me amenaza con dejarme si no le doy mi contrasena",
        "fue un alivio cuando por fin terminamos",
        "marta me dijo que lo vio con otra chica",
    ],
    "portuguese": [
        "to morrendo de ciumes dele com a ex",
        "me bate uma saudade dele toda noite",
        "vou terminar com ele amanha",
        "minha mae vai me matar se souber",
        "nao quero mais viver com ele",
    ],
    "french": [
        "je meurs de jalousie quand il parle a son ex",
        "je vais en finir avec lui ce soir, c'est decide",
        "il me menace de me quitter si je sors",
        "ma mere va me tuer quand elle saura",
        "j'ai mange des pates au fromage râpé",
    ],
    "german": [
        "ich sterbe vor eifersucht wenn sie mit ihm schreibt",
        "ich mache schluss mit ihm",
        "meine mutter bringt mich um wenn sie das erfährt",
        "ich würde lieber sterben als noch ein date mit ihm",
    ],
    "italian": [
        "muoio di gelosia quando esce con le amiche",
        "voglio farla finita con lui, basta bugie",
        "mi sono tagliata i capelli dopo la rottura",
        "mia madre mi ammazza se lo scopre",
        "sono stanca morta",
    ],
    "dutch": [
        "ik ga dood van jaloezie als hij met haar appt",
        "ik maak het uit met hem",
        "hij bedreigt me met het uitmaken",
    ],
    "polish": [
        "umieram z zazdrości kiedy pisze z byłą",
        "dostalam wiadomosc od niego i nie wiem co odpisac",
        "zrywam z nim, mam dosc",
        "grozi mi ze mnie zostawi",
    ],
    "turkish": [
        "kıskançlıktan ölüyorum",
        "ondan ayriliyorum artik",
        "onunla yasamak istemiyorum",
        "annem beni öldürecek",
    ],
    "indonesian_malay": [
        "aku cemburu setengah mati sama mantannya",
        "hp aku mau mati",
        "aku mau putus sama dia",
        "dia ngancam putus kalau aku main sama temen",
    ],
    "tagalog": [
        "mamamatay ako sa selos",
        "makikipaghiwalay na ako sa kanya",
        "papatayin ako ng nanay ko pag nalaman niya",
    ],
    "hindi_urdu": [
        "main jalan se mar rahi hoon",
        "kaam khatam kar ke ghar aayi",
        "main usse breakup kar rahi hoon",
        "wo tum pe marta hai",
        "mummy mujhe maar dalegi",
    ],
    "arabic_latin": [
        "hamoot men el ghera",
        "mayet men el d7k",
        "3ayza asebo 5alas",
    ],
    "russian": [
        "умираю от ревности",
        "мама меня убьёт",
        "я с ним расстаюсь",
        "меня бьёт дрожь",
    ],
    "romanian": [
        "mor de gelozie",
        "ma despart de el",
        "ma bate la cap toata ziua",
        "mama o sa ma omoare",
    ],
    "swahili": [
        "nakufa kwa wivu akiongea na ex wake",
        "nataka kufa kwa kicheko",
        "mama ataniua akijua",
        "sitaki kujiua, nataka tu msaada",
        "sitaki kuishi naye tena",
        "nimejikata kidole nikipika",
    ],
    "vietnamese": [
        "ghen muốn chết khi anh ấy nói chuyện với người yêu cũ",
        "tò mò muốn chết",
        "cười chết mất",
        "mẹ tao giết tao mất",
        "tôi không muốn chết",
        "anh ấy chưa bao giờ đánh em",
        "em muốn từ từ tìm hiểu anh ấy",
        "em đánh răng xong rồi",
    ],
    "greek": [
        "πεθαίνω από ζήλια όταν μιλάει με την πρώην του",
        "πεθαίνω να μάθω τι έγινε",
        "με σκοτώνεις με τα αστεία σου",
        "θα τον σκοτώσω, πάλι άργησε",
        "δεν θέλω να πεθάνω",
        "δεν με χτυπάει ποτέ",
    ],
    "ukrainian": [
        "помираю від ревнощів",
        "мама мене вб'є",
        "я не хочу помирати",
        "не хочу жити з ним більше",
        "бувайте всі, я пішла спати",
    ],
    "czech_slovak": [
        "umírám žárlivostí když píše bývalé",
        "umírám smíchy",
        "máma mě zabije",
        "nechci umřít",
        "nejsem sebevražedná",
        "dostala jsem od něj kytku",
        "nechci už dál čekat na jeho zprávu",
    ],
    "swedish": [
        "jag dör av svartsjuka när hon skriver till honom",
        "du dödar mig med dina skämt",
        "mamma dödar mig om hon får veta",
        "jag vill inte dö",
        "han slår mig aldrig",
        "det slog mig att han ljuger",
    ],
    "norwegian_danish": [
        "jeg dør av sjalusi når hun snakker med eksen",
        "jeg dør af grin",
        "mor slår mig ihjel hvis hun ser det",
        "jeg vil ikke dø",
        "jeg tenker ikke på selvmord",
    ],
    "hungarian": [
        "meghalok a féltékenységtől ha az exével beszél",
        "majd meghalok a kíváncsiságtól",
        "megölsz a poénjaiddal",
        "anyám megöl ha megtudja",
        "nem akarok meghalni",
        "nem vagyok öngyilkos",
        "azt hittem meg fogok halni a vizsgán",
        "inkább meghalnék, mint hogy vele menjek",
        "a párom út közben felhívott",
        "sakkban megvert megint",
    ],
    "persian_latin": [
        "daram az hesadat mimiram",
        "az khande mordam",
        "mamanam mano mikoshe age befahme",
        "fekre khodkoshi nadaram",
        "akharin payame oon ro khoondam",
    ],
    "bengali_latin": [
        "hingsay more jacchi",
        "hashte hashte more gelam",
        "ma amake mere felbe jodi jane",
        "ami morte chai na",
        "ami atmohotta korbo na",
        "ami beche thakbo, chinta koro na",
        "rannaghore haat kete geche",
        "eta amar shesh kotha, ar kichu bolbo na",
        "ami or sathe thakte chai na",
    ],
}

# Threats in other word orders and with object pronouns, in the first 14 languages.
THREATS_IN_OTHER_WORDS = [
    "chce mnie zabić jak odejdę",
    "on nas pozabija wszystkich",
    "zabije mi dzieci",
    "el va a matarme si lo dejo",
    "tengo miedo de que me mate",
    "ele vai nos matar",
    "tenho medo que ele me mate",
    "il va nous tuer",
    "j'ai peur qu'il me tue",
    "vuole uccidermi",
    "ho paura che mi ammazzi",
    "er bringt uns um",
    "ich habe angst dass er mich umbringt",
    "ik ben bang dat hij me vermoordt",
    "o să ne omoare",
    "он нас убьёт",
    "beni öldürecek",
    "aku takut dia bunuh aku",
    "papatayin niya kami",
]

# Denied after the verb (Hindi / Urdu), living together, mum's threats: no crisis.
NOT_A_CRISIS_EITHER = [
    "suicide jaisa kuch nahi soch rahi",
    "main khudkushi nahi karungi",
    "marne ka koi irada nahi hai",
    "wo mujhe maarta nahi hai bas chillata hai",
    "usne mujhe kabhi nahi maara",
    "я не хочу жить с ним больше",
    "je ne veux plus vivre avec lui",
    "nie chce zyc z nim",
    "mi mama va a matarme si se entera",
    "minha mae vai nos matar",
    "annem beni öldürecek",
    # words of one language that look like another's phrases
    "tu hai ragione, lo amo ancora",
    "podemos salir o ver una película",
    "questo caldo ci ammazza",
    "bu sıcak beni öldürecek",
]

URGENT = [
    "ya me tome todas las pastillas ahorita mismo",
    "esta rompiendo la puerta, amenaza con matarme",
    "ele ta quebrando a porta e disse que vai me matar",
    "jai deja pris toute la boite de cachets",
    "er tritt die tür ein und droht mich umzubringen",
    "sta sfondando la porta, ha detto che mi ammazza",
    "hij staat voor de deur en dreigt me te vermoorden",
    "juz wzielam wszystkie tabletki",
    "kapıyı kırıyor, beni öldürmekle tehdit ediyor",
    "dia lagi dobrak pintu, dia ngancam bunuh aku",
    "sinisira niya ang pinto, papatayin daw niya ako",
    "maine saari goliyan kha li abhi",
    "bykasar el bab delwa2ty, bihadedni ye2telni",
    "он ломает дверь, угрожает убить меня",
    "sunt pe pod, vreau sa mor",
    "nimekunywa vidonge vyote sasa hivi",
    "tôi vừa uống hết thuốc ngay bây giờ, muốn chết",
    "είμαι στην ταράτσα, θέλω να πεθάνω",
    "він ломиться у двері і погрожує вбити мене",
    "je za dveřmi a vyhrožuje, že mě zabije",
    "han står utanför dörren och hotar att döda mig",
    "jeg står på taket, jeg vil dø",
    "a tetőn állok, meg akarok halni",
    "hamin alan hame ghorsa ro khordam",
    "chhader kinare dariye achi, morte chai",
]

NOT_URGENT = [
    "quiero acabar con todo, llevo meses asi",
    "je veux mourir depuis qu'il m'a quittee",
    "hij slaat me als hij dronken is",
    "jag vill dö, allt är meningslöst",
    "mikham bemiram, khaste shodam",
    "tôi muốn chết, mệt mỏi quá",
]


def _cases(table):
    return [(language, *case) for language, cases in table.items() for case in cases]


@pytest.mark.parametrize(("language", "category", "message"), _cases(CRISES))
def test_a_crisis_in_the_persons_own_language_gets_the_right_help(language, category, message):
    assert safety.screen(message) == category, safety.matches(message)


@pytest.mark.parametrize(
    ("language", "message"),
    [(language, message) for language, messages in CALM.items() for message in messages],
)
def test_idioms_jealousy_and_break_ups_in_other_languages_are_not_a_crisis(language, message):
    assert safety.screen(message) is None, safety.matches(message)


def test_every_language_has_crises_of_both_kinds_and_calm_messages():
    assert set(CRISES) == set(CALM)
    for language, cases in CRISES.items():
        assert sum(c == "self_harm" for c, _ in cases) >= 3, language
        assert sum(c == "abuse" for c, _ in cases) >= 3, language
        assert len(CALM[language]) >= 2, language


@pytest.mark.parametrize("message", THREATS_IN_OTHER_WORDS)
def test_threats_in_other_word_orders_and_with_object_pronouns_are_abuse(message):
    assert safety.screen(message) == "abuse", safety.matches(message)


@pytest.mark.parametrize("message", NOT_A_CRISIS_EITHER)
def test_negations_after_the_verb_and_living_together_are_not_a_crisis(message):
    assert safety.screen(message) is None, safety.matches(message)


@pytest.mark.parametrize("message", URGENT)
def test_danger_right_now_in_another_language_is_urgent(message):
    assert safety.screen(message) is not None, message
    assert safety.is_urgent(message)


@pytest.mark.parametrize("message", NOT_URGENT)
def test_a_crisis_without_danger_right_now_is_not_urgent(message):
    assert safety.screen(message) is not None
    assert not safety.is_urgent(message)


def test_a_plain_crisis_in_another_language_stands_undoubted():
    # With the detector not loaded the rules decide alone: these get the crisis reply.
    said = "ich will einfach nur sterben seit er weg ist"
    assert safety.rule_findings(said) == {"self_harm": True}
    assert safety.rule_findings("kocam beni dövüyor") == {"abuse": True}
