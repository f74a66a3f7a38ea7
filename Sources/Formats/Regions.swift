/// ISO 3166-2 first-level subdivisions of the network's countries. A report's `region` must be one
/// of these and belong to its `country`; the registry generalises place to this level (DESIGN.md §7).
public enum Regions {
    /// Code → name, per country.
    public static let byCountry: [String: [(code: String, name: String)]] = [
        "MX": [
            ("MX-AGU", "Aguascalientes"), ("MX-BCN", "Baja California"), ("MX-BCS", "Baja California Sur"),
            ("MX-CAM", "Campeche"), ("MX-CHP", "Chiapas"), ("MX-CHH", "Chihuahua"), ("MX-CMX", "Ciudad de México"),
            ("MX-COA", "Coahuila"), ("MX-COL", "Colima"), ("MX-DUR", "Durango"), ("MX-GUA", "Guanajuato"),
            ("MX-GRO", "Guerrero"), ("MX-HID", "Hidalgo"), ("MX-JAL", "Jalisco"), ("MX-MEX", "Estado de México"),
            ("MX-MIC", "Michoacán"), ("MX-MOR", "Morelos"), ("MX-NAY", "Nayarit"), ("MX-NLE", "Nuevo León"),
            ("MX-OAX", "Oaxaca"), ("MX-PUE", "Puebla"), ("MX-QUE", "Querétaro"), ("MX-ROO", "Quintana Roo"),
            ("MX-SLP", "San Luis Potosí"), ("MX-SIN", "Sinaloa"), ("MX-SON", "Sonora"), ("MX-TAB", "Tabasco"),
            ("MX-TAM", "Tamaulipas"), ("MX-TLA", "Tlaxcala"), ("MX-VER", "Veracruz"), ("MX-YUC", "Yucatán"),
            ("MX-ZAC", "Zacatecas"),
        ],
        // Guatemala's ISO 3166-2 codes are numeric since the 2021 revision (INE department numbers).
        "GT": [
            ("GT-01", "Guatemala"), ("GT-02", "El Progreso"), ("GT-03", "Sacatepéquez"), ("GT-04", "Chimaltenango"),
            ("GT-05", "Escuintla"), ("GT-06", "Santa Rosa"), ("GT-07", "Sololá"), ("GT-08", "Totonicapán"),
            ("GT-09", "Quetzaltenango"), ("GT-10", "Suchitepéquez"), ("GT-11", "Retalhuleu"), ("GT-12", "San Marcos"),
            ("GT-13", "Huehuetenango"), ("GT-14", "Quiché"), ("GT-15", "Baja Verapaz"), ("GT-16", "Alta Verapaz"),
            ("GT-17", "Petén"), ("GT-18", "Izabal"), ("GT-19", "Zacapa"), ("GT-20", "Chiquimula"),
            ("GT-21", "Jalapa"), ("GT-22", "Jutiapa"),
        ],
        "HN": [
            ("HN-AT", "Atlántida"), ("HN-CH", "Choluteca"), ("HN-CL", "Colón"), ("HN-CM", "Comayagua"),
            ("HN-CP", "Copán"), ("HN-CR", "Cortés"), ("HN-EP", "El Paraíso"), ("HN-FM", "Francisco Morazán"),
            ("HN-GD", "Gracias a Dios"), ("HN-IN", "Intibucá"), ("HN-IB", "Islas de la Bahía"), ("HN-LP", "La Paz"),
            ("HN-LE", "Lempira"), ("HN-OC", "Ocotepeque"), ("HN-OL", "Olancho"), ("HN-SB", "Santa Bárbara"),
            ("HN-VA", "Valle"), ("HN-YO", "Yoro"),
        ],
        "SV": [
            ("SV-AH", "Ahuachapán"), ("SV-CA", "Cabañas"), ("SV-CH", "Chalatenango"), ("SV-CU", "Cuscatlán"),
            ("SV-LI", "La Libertad"), ("SV-MO", "Morazán"), ("SV-PA", "La Paz"), ("SV-SA", "Santa Ana"),
            ("SV-SM", "San Miguel"), ("SV-SO", "Sonsonate"), ("SV-SS", "San Salvador"), ("SV-SV", "San Vicente"),
            ("SV-UN", "La Unión"), ("SV-US", "Usulután"),
        ],
        "NI": [
            ("NI-AN", "Costa Caribe Norte"), ("NI-AS", "Costa Caribe Sur"), ("NI-BO", "Boaco"), ("NI-CA", "Carazo"),
            ("NI-CI", "Chinandega"), ("NI-CO", "Chontales"), ("NI-ES", "Estelí"), ("NI-GR", "Granada"),
            ("NI-JI", "Jinotega"), ("NI-LE", "León"), ("NI-MD", "Madriz"), ("NI-MN", "Managua"),
            ("NI-MS", "Masaya"), ("NI-MT", "Matagalpa"), ("NI-NS", "Nueva Segovia"), ("NI-SJ", "Río San Juan"),
            ("NI-RI", "Rivas"),
        ],
    ]

    public static func name(of code: String) -> String? {
        byCountry[String(code.prefix(2))]?.first { $0.code == code }?.name
    }

    public static func isValid(_ code: String, in country: String) -> Bool {
        byCountry[country]?.contains { $0.code == code } ?? false
    }
}
