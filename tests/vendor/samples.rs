//! The vendor pages' sample responses, copied verbatim (trailing-space keys included).

pub const DEBTS_OK: &str = r#"{
"status": "OK",
"result": {
"reg_total_num": 24,
"apply_total_num ": 6,
"approved_total_num ": 2,
"reject_total_num ": 4,
"loan_total_num ": 2,
"apply_amount_min ": 4000,
"apply_amount_max ": 8000,
"apply_amount_avg ": 6000,
"loan_amount_min ": 3000,
"loan_amount_max ": 6000,
"loan_amount_avg ": 4500,
"platform_reg_total ": 7,
"platform_apply_total": 4,
"platform_approved_total ": 3,
"platform_reject_total ": 1,
"platform_loan_total ": 2
},
"request_id": "TID591cb9fb0e284cf296912a4d0ffea889"
}"#;
pub const DEBTS_INVALID: &str = r#"{
"status": "INVALID_ARGUMENT",
"reason": "argument 'mobile': not found",
"request_id": "TID0bb59f6aa6454717b870b16202ccf36f"
}"#;
pub const ORDER_HIT: &str = r#"{
"status": "OK",
"result": {
"target": true,
"count": 2,
"data": [
{
"day": "2022-10-03",
"source": "seat",
"cid": "11323",
"duration": "17",
"level": 5
},
{
"day": "2022-10-03",
"source": "seat",
"cid": "11323",
"duration": "11",
"level": 5
}
]
},
"request_id": "TIDebc4954bc59c4f9b8437c390d188442d"
}"#;
pub const ORDER_MISS: &str = r#"{
"status": "OK",
"result": {
"target": false
},
"request_id": "TIDae6d0e0a9eb945c38964b77c1686707e"
}"#;
pub const TASK_PENDING: &str = r#"{
    "status": "PENDING",
    "reason": "check in progress",
    "request_id": "TID591cb9fb0e284cf296912a4d0ffea889"
}"#;
pub const TASK_DONE: &str = r#"{
    "status": "OK",
    "result": {
      "phone_number": "0062********",
      "phone_status": "ring"
    },
    "request_id": "TID591cb9fb0e284cf296912a4d0ffea889"
}"#;
pub const TASK_INVALID: &str = r#"{
    "status": "INVALID_ARGUMENT",
    "reason": "argument 'phone_number': not found",
    "request_id": "TID0bb59f6aa6454717b870b16202ccf36f"
}"#;
pub const MULTIPLATFORM_OK: &str = r#"{
"code":200,
"sequence_id":"53b63090c0374cad82********f8991e",
"data":[
{
"indicator_name":"indicator_name_1",
"indicator_status":200,
"indicator_value":1
},
{
"indicator_name":"indicator_name_2",
"indicator_status":200,
"indicator_value":1
}
]
}"#;
pub const MULTIPLATFORM_FAILED: &str = r#"{
"code": 9061,
"sequence_id": "80b57561b6fb********61ccba263b60",
"message": "country error"
}"#;
pub const WILLINGNESS_OK: &str = r#" {
    "code": 200,
    "detail": null,
    "message": "Success",
    "order_id": "123",
    "result": null,
    "score": 838,
    "sequence_id": "1715242432854559I30332E092745515"
}"#;
