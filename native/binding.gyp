{
  "targets": [
    {
      "target_name": "vitscope_native",
      "sources": [
        "src/addon.cc",
        "src/thread_pool.cc",
        "src/matmul.cc",
        "src/conv.cc",
        "src/depthwise.cc",
        "src/elementwise.cc",
        "src/reduce.cc",
        "src/softmax.cc",
        "src/copy.cc",
        "src/ortho.cc",
        "src/gather.cc",
        "src/norm.cc",
        "src/optimizer.cc",
        "src/cpu.cc",
        "src/gemm.cc",
        "src/gemm_avx512.cc",
        "src/gemm_avx2.cc",
        "src/conv_direct_avx512.cc",
        "src/conv_direct_avx2.cc",
        "src/vmath_avx512.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-fno-trapping-math"],
      "conditions": [
        ["OS=='mac'", {
          "defines": ["VITSCOPE_ACCELERATE", "ACCELERATE_NEW_LAPACK"],
          "libraries": ["-framework Accelerate"],
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-mcpu=native"]
          }
        }],
        ["OS!='mac' and target_arch=='x64'", {
          "cflags_cc": ["-march=x86-64-v3", "-mtune=generic"]
        }],
        ["OS!='mac' and target_arch!='x64'", {
          "cflags_cc": ["-march=native"]
        }],
        ["OS!='mac'", {
          "include_dirs": ["/usr/include/x86_64-linux-gnu", "/usr/include/aarch64-linux-gnu", "/usr/include/openblas"],
          "libraries": ["-lopenblas", "-lpthread"]
        }]
      ]
    }
  ]
}
