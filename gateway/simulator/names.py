"""Name pools for the generated school: British names from the backgrounds a UK school actually has.

Each background carries its own first names and surnames, the DfE ethnicity
label and code the sensitive attributes report, and a likely home language,
so that a student's name, ethnicity and language agree with one another.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Background:
    ethnicity: str
    ethnicity_code: str
    weight: int
    boys: tuple[str, ...]
    girls: tuple[str, ...]
    surnames: tuple[str, ...]
    #: (first language, country of birth, nationality) for a student with EAL.
    eal: tuple[str, str, str] | None = None


BACKGROUNDS: tuple[Background, ...] = (
    Background("White - British", "WBRI", 62,
               ("Oliver", "George", "Harry", "Jack", "Noah", "Charlie", "Thomas", "Oscar",
                "William", "James", "Henry", "Leo", "Alfie", "Joshua", "Freddie", "Archie",
                "Ethan", "Isaac", "Samuel", "Joseph", "Daniel", "Max", "Lucas", "Finley",
                "Jacob", "Harrison", "Theo", "Dylan", "Toby", "Callum", "Robert", "Lewis"),
               ("Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophia", "Grace", "Lily",
                "Freya", "Ella", "Poppy", "Evie", "Isabella", "Charlotte", "Daisy", "Sophie",
                "Jessica", "Ruby", "Florence", "Phoebe", "Matilda", "Millie", "Holly", "Erin",
                "Chloe", "Megan", "Lucy", "Hannah", "Katie", "Eleanor", "Rosie", "Harriet"),
               ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
                "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
                "Hall", "Wood", "Jackson", "Clarke", "Hughes", "Edwards", "Turner", "Harris",
                "Baker", "Cooper", "Ward", "Morris", "King", "Lee", "Parker", "Bennett",
                "Carter", "Mitchell", "Shaw", "Fletcher", "Holmes", "Marshall", "Pearson",
                "Atkinson", "Barnes", "Chapman", "Dixon", "Ellis", "Fox", "Gibson", "Hunt",
                "Lloyd", "Mason", "Owen", "Payne", "Reid", "Simpson", "Webb", "West")),
    Background("Asian - Pakistani", "APKN", 7,
               ("Muhammad", "Ibrahim", "Yusuf", "Zain", "Ayaan", "Hamza", "Bilal", "Hassan",
                "Imran", "Usman"),
               ("Aisha", "Maryam", "Zara", "Hafsa", "Inaaya", "Amna", "Fatima", "Alisha",
                "Sana", "Iqra"),
               ("Khan", "Hussain", "Ahmed", "Ali", "Akhtar", "Iqbal", "Mahmood", "Rashid",
                "Shah", "Butt", "Mirza", "Qureshi"),
               ("Urdu", "Pakistan", "Pakistani")),
    Background("Asian - Indian", "AIND", 6,
               ("Arjun", "Rohan", "Aarav", "Dev", "Vihaan", "Kabir", "Harjit", "Rahul",
                "Sai", "Nikhil"),
               ("Priya", "Anaya", "Diya", "Simran", "Kavya", "Asha", "Navneet", "Riya",
                "Meera", "Jasleen"),
               ("Patel", "Sharma", "Singh", "Kaur", "Gill", "Mistry", "Shah", "Joshi",
                "Chauhan", "Sandhu", "Parmar", "Desai"),
               ("Gujarati", "India", "Indian")),
    Background("Asian - Bangladeshi", "ABAN", 3,
               ("Abdul", "Rahim", "Tahmid", "Sami", "Rayhan", "Fahim"),
               ("Nusrat", "Tasnim", "Sumaiya", "Fariha", "Jannat", "Ruksana"),
               ("Begum", "Miah", "Rahman", "Uddin", "Islam", "Chowdhury", "Hoque"),
               ("Bengali", "Bangladesh", "Bangladeshi")),
    Background("Black - African", "BAFR", 6,
               ("Tobi", "Emmanuel", "Kwame", "David", "Samuel", "Daniel", "Chidi", "Tunde",
                "Kofi", "Jayden"),
               ("Adaeze", "Abena", "Grace", "Blessing", "Chioma", "Favour", "Ama", "Zainab",
                "Esther", "Folake"),
               ("Okafor", "Adeyemi", "Mensah", "Osei", "Okoye", "Adebayo", "Boateng",
                "Nwosu", "Asante", "Balogun", "Eze", "Owusu"),
               ("Yoruba", "Nigeria", "Nigerian")),
    Background("Black - Caribbean", "BCRB", 3,
               ("Jordan", "Marcus", "Tyrese", "Kai", "Reuben", "Nathaniel"),
               ("Kiara", "Jada", "Tiana", "Maya", "Shanice", "Imani"),
               ("Campbell", "Francis", "Brown", "Gordon", "Bailey", "Henry", "Morgan",
                "Samuels", "Grant")),
    Background("White - Polish", "WPOL", 4,
               ("Jakub", "Kacper", "Szymon", "Filip", "Mateusz", "Bartosz", "Oskar"),
               ("Zuzanna", "Julia", "Maja", "Hanna", "Lena", "Natalia", "Wiktoria"),
               ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski",
                "Zieliński", "Szymańska"),
               ("Polish", "Poland", "Polish")),
    Background("Chinese", "CHNE", 2,
               ("Wei", "Jun", "Hao", "Ryan", "Kevin", "Ming"),
               ("Mei", "Xinyi", "Lily", "Yan", "Jasmine", "Ling"),
               ("Wang", "Li", "Zhang", "Chen", "Liu", "Wong", "Chan", "Lin"),
               ("Cantonese", "Hong Kong", "Chinese")),
    Background("Any other ethnic group", "OOEG", 2,
               ("Omar", "Karim", "Youssef", "Ali", "Tariq", "Adam"),
               ("Layla", "Noor", "Yasmin", "Leila", "Salma", "Rania"),
               ("Haddad", "Nasser", "Mansour", "Saleh", "Aziz", "Farah"),
               ("Arabic", "Syria", "Syrian")),
    Background("Mixed - White and Black Caribbean", "MWBC", 3,
               ("Tyler", "Jaden", "Elijah", "Riley", "Mason", "Kian"),
               ("Amara", "Nia", "Skye", "Layla", "Aaliyah", "Jasmine"),
               ("Williams", "Johnson", "Thomas", "Walker", "Campbell", "Robinson")),
    Background("Any other White background", "WOTH", 2,
               ("Luca", "Matteo", "Andrei", "Tomás", "Diogo", "Nikolai"),
               ("Sofia", "Ana", "Elena", "Giulia", "Ioana", "Beatriz"),
               ("Rossi", "Popescu", "Silva", "Santos", "Ferreira", "Ionescu", "Costa"),
               ("Romanian", "Romania", "Romanian")),
)

#: Familiar forms a few students are known by.
NICKNAMES: dict[str, str] = {
    "Robert": "Bob", "William": "Will", "Thomas": "Tom", "Joshua": "Josh", "Samuel": "Sam",
    "Daniel": "Dan", "Joseph": "Joe", "Alfie": "Alf", "Isabella": "Bella", "Charlotte": "Lottie",
    "Eleanor": "Ellie", "Jessica": "Jess", "Matilda": "Tilly", "Katie": "Kate",
    "Muhammad": "Mo", "Emmanuel": "Manny", "Nathaniel": "Nate", "Zuzanna": "Zuza",
    "Jakub": "Kuba", "Elizabeth": "Beth", "Alexander": "Alex",
}

MIDDLE_BOYS = ("James", "John", "Alexander", "Edward", "Michael", "Lee", "Ali", "Kumar", "Jon",
               "Peter", "Luke", "David")
MIDDLE_GIRLS = ("Rose", "Grace", "Mae", "Louise", "Anne", "Elizabeth", "Jane", "Marie", "Noor",
                "Kaur", "Hope", "May")

STAFF_FIRST_MEN = ("Andrew", "Paul", "Mark", "Stephen", "David", "Richard", "Simon", "Ian",
                   "Gareth", "Matthew", "Imran", "Rajesh", "Tomasz", "Kwame", "Neil", "Chris",
                   "Martin", "Graham", "Peter", "Jonathan")
STAFF_FIRST_WOMEN = ("Sarah", "Claire", "Emma", "Rachel", "Helen", "Nicola", "Joanne",
                     "Rebecca", "Laura", "Victoria", "Priya", "Aisha", "Sandra", "Anne",
                     "Catherine", "Fiona", "Gemma", "Karen", "Louise", "Natalie", "Mei",
                     "Folake", "Agnieszka", "Jane")
STAFF_SURNAMES = ("Burgess", "Jones", "Hughes", "Patel", "Campbell", "Fletcher", "Khan",
                  "Okafor", "Marshall", "Price", "Rowe", "Newman", "Doyle", "Walsh", "Barker",
                  "Sutton", "Kaur", "Chen", "Lambert", "Moss", "Norris", "O'Brien", "Quinn",
                  "Reeves", "Stone", "Talbot", "Vaughan", "Whitaker", "Yates", "Ahmed",
                  "Bishop", "Cross", "Dunn", "Elliott", "Fowler", "Garner", "Hale", "Irving",
                  "Kowalska", "Mensah", "Nash", "Pryce", "Russell", "Sharma", "Tran", "Wood")

MEDICAL = ("Asthma", "Nut allergy", "Eczema", "Hay fever", "Epilepsy", "Type 1 diabetes",
           "Coeliac disease", "Other Allergies", "Other Medical", "Migraine", "ADHD medication")
