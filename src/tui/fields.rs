//! The form's fields: their order, labels, and the names `prepare` files errors under.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldId {
    Country,
    Phone,
    IdNumber,
    Name,
    Bankcard,
    Email,
    Gaid,
    AppName,
    OrderId,
    Package,
    Source,
    Date,
    PolicyId,
    HashPhone,
    /// Why the applicant is looked up (free text, stored with every lookup and access).
    Purpose,
}

impl FieldId {
    pub const ALL: [FieldId; 15] = [
        FieldId::Country,
        FieldId::Phone,
        FieldId::IdNumber,
        FieldId::Name,
        FieldId::Bankcard,
        FieldId::Email,
        FieldId::Gaid,
        FieldId::AppName,
        FieldId::OrderId,
        FieldId::Package,
        FieldId::Source,
        FieldId::Date,
        FieldId::PolicyId,
        FieldId::HashPhone,
        FieldId::Purpose,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FieldId::Country => "Country",
            FieldId::Phone => "Phone",
            FieldId::IdNumber => "ID number",
            FieldId::Name => "Name",
            FieldId::Bankcard => "Bank card",
            FieldId::Email => "Email",
            FieldId::Gaid => "GAID",
            FieldId::AppName => "App name",
            FieldId::OrderId => "Order id",
            FieldId::Package => "Package",
            FieldId::Source => "Source",
            FieldId::Date => "Date",
            FieldId::PolicyId => "Policy id",
            FieldId::HashPhone => "Phone md5",
            FieldId::Purpose => "Purpose",
        }
    }

    /// The name `prepare` uses for this field in a `FieldError`.
    pub fn key(self) -> &'static str {
        match self {
            FieldId::Country => "country",
            FieldId::Phone => "phone",
            FieldId::IdNumber => "id_number",
            FieldId::Name => "name",
            FieldId::Bankcard => "bankcard",
            FieldId::Email => "email",
            FieldId::Gaid => "gaid",
            FieldId::AppName => "app_name",
            FieldId::OrderId => "order_id",
            FieldId::Package => "package",
            FieldId::Source => "source",
            FieldId::Date => "date",
            FieldId::PolicyId => "policy_id",
            FieldId::HashPhone => "hash_phone",
            FieldId::Purpose => "purpose",
        }
    }

    pub fn is_text(self) -> bool {
        !matches!(
            self,
            FieldId::Country | FieldId::Package | FieldId::Source | FieldId::HashPhone
        )
    }

    /// Fields whose value is personal and masked unless revealed.
    pub fn is_private(self) -> bool {
        matches!(self, FieldId::Phone | FieldId::IdNumber | FieldId::Bankcard)
    }
}
